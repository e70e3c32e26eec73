"""The default table at every width: user, key ID and verdict whole, no line wider than the width.

Issue 12 items 1, 2 and 9 (table part). Rendered through rich into a string at widths 60, 80, 100,
120 and 200 (``COLUMNS``, as a pipe sees it), from the bundled sample report and from a live-like
scan whose access keys carry their IDs.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from stalecreds import scan_report
from stalecreds.cli import main
from stalecreds.formats import fit, table
from stalecreds.formats.console import PIPE_WIDTH
from stalecreds.formats.table import render_table
from stalecreds.model import AccessKey, LastUse, Password, Status, UserCredentials
from stalecreds.report.credential_report import WarningLog
from stalecreds.report.input import ReportSource
from stalecreds.report.scan import ScanResult, Summary
from stalecreds.rules.assessment import Assessment, assess
from stalecreds.rules.verdicts import Thresholds, VerdictRules
from tests.conftest import report, report_row

WIDTHS = (60, 80, 100, 120, 200)
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
LONG_USER = "svc-nightly-backup-exporter@reporting.example"  # 46 characters, one word


def _days(n: int) -> datetime:
    return AS_OF - timedelta(days=n)


def _user(name: str, account: str, keys: list[AccessKey], password: Password | None) -> Any:
    return UserCredentials(
        user=name,
        arn=f"arn:aws:iam::{account}:user/{name}",
        account_id=account,
        partition="aws",
        is_root=False,
        created=_days(2000),
        mfa_active=False,
        password=password,
        access_keys=tuple(keys),
        certificates=(),
    )


def _key(key_id: str, status: Status, created: int, used: int | None) -> AccessKey:
    use = None if used is None else LastUse(_days(used), "us-east-1", "s3")
    return AccessKey(None, key_id, status, _days(created), use)


def live_like_scan(accounts: tuple[str, ...] = ("111122223333",)) -> ScanResult:
    """Users with access key IDs (as a live scan has), long names, exempt users, many verdicts."""
    rules = VerdictRules(AS_OF, Thresholds())
    users = []
    for account in accounts:
        users += [
            _user(
                LONG_USER,
                account,
                [
                    _key("AKIAIOSFODNN7EXAMPLE", Status.ACTIVE, 900, 400),
                    _key("AKIAI44QH8DHBEXAMPLE", Status.INACTIVE, 1200, 800),
                ],
                Password(_days(700), None),
            ),
            _user("bob", account, [_key("AKIAJ2RZ7EXAMPLEKEY1", Status.ACTIVE, 300, 1)], None),
            _user(
                "carol.o'neil+ops",
                account,
                [_key("AKIAQWERTYUIOPEXAMPL", Status.ACTIVE, 200, None)],
                Password(_days(3), None),
            ),
        ]
    assessments: list[Assessment] = []
    summary = Summary()
    for user in users:
        for assessment in assess(user, rules):
            summary.add(assessment)
            assessments.append(assessment)
        summary.users += 1
    source = ReportSource(name="live", format="iam-api")
    return ScanResult(source, AS_OF, Thresholds(), tuple(assessments), summary, WarningLog())


def sample_scan() -> ScanResult:
    from importlib import resources

    data = resources.files("stalecreds").joinpath("data", "sample-credential-report.json")
    return scan_report(data.read_bytes(), as_of=AS_OF)


def render_at(scan: object, width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COLUMNS", str(width))
    out = io.StringIO()
    render_table(scan, out)  # type: ignore[arg-type]
    return out.getvalue()


def assert_fits_and_whole(text: str, scan: ScanResult, width: int) -> None:
    lines = text.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, f"{len(too_wide)} lines wider than {width}: {too_wide[:2]}"
    # A date's age stays whole: "(882 d)", never "(882" and "d)" on two lines.
    assert not re.search(r"\([\d,]+ *[│\n]", text), text
    findings = [a for a in scan if a.finding_rules]
    assert findings
    for assessment in findings:
        user = assessment.owner.user
        assert any(user in line for line in lines), f"user {user!r} is not whole at {width}"
        verdict = assessment.verdict.value
        assert any(verdict in line for line in lines), f"{verdict} is not whole at {width}"
        key_id = getattr(assessment.credential, "access_key_id", None)
        if key_id:
            assert any(key_id in line for line in lines), f"{key_id} is split at {width}"


@pytest.mark.parametrize("width", WIDTHS)
def test_live_like_table_fits_every_width_with_key_ids_whole(width, monkeypatch):
    scan = live_like_scan()
    text = render_at(scan, width, monkeypatch)
    assert_fits_and_whole(text, scan, width)
    # Every credential's ID appears whole, findings or not.
    for key_id in ("AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE", "AKIAJ2RZ7EXAMPLEKEY1"):
        assert any(key_id in line for line in text.splitlines())
    # Reasons wrap, they are never cut: every word of every reason is there.
    words = text.split()
    for assessment in scan:
        if assessment.finding_rules:
            for word in assessment.reason.split():
                assert word in words or any(word in w for w in words)


@pytest.mark.parametrize("width", WIDTHS)
def test_sample_table_fits_every_width(width, monkeypatch):
    scan = sample_scan()
    text = render_at(scan, width, monkeypatch)
    assert_fits_and_whole(text, scan, width)
    assert "11 users · 17 credentials · 7 findings · 1 clean-up candidate" in " ".join(text.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_several_accounts_fit_every_width(width, monkeypatch):
    scan = live_like_scan(("111122223333", "444455556666"))
    text = render_at(scan, width, monkeypatch)
    assert_fits_and_whole(text, scan, width)
    assert "444455556666" in text


def test_narrow_widths_stack_and_wide_ones_tabulate(monkeypatch):
    scan = live_like_scan()
    narrow = render_at(scan, 60, monkeypatch)
    wide = render_at(scan, 200, monkeypatch)
    findings_narrow = narrow[narrow.index("Findings") : narrow.index("Inactive")]
    findings_wide = wide[wide.index("Findings") : wide.index("Inactive")]
    # Stacked: one block per user, the user on its own line, no table rules.
    assert "┃" not in findings_narrow
    assert LONG_USER in findings_narrow.splitlines()
    assert "  AKIAIOSFODNN7EXAMPLE (Active) · unused" in findings_narrow.splitlines()
    # Wide: one table, the header names every column.
    header = next(line for line in findings_wide.splitlines() if "User" in line)
    for column in ("Credential", "Verdict", "Last used", "Created", "Reason"):
        assert column in header
    row = next(line for line in findings_wide.splitlines() if "AKIAIOSFODNN7EXAMPLE" in line)
    assert "unused" in row and "2025-09-27 (400 d)" in row
    assert any(line.startswith(f"│ {LONG_USER} │") for line in findings_wide.splitlines())


def test_fit_widths_gives_dates_before_credentials_and_stacks_when_words_cannot_fit():
    columns = [
        fit.Column("User", ["bob"]),
        fit.Column("Credential", ["AKIAIOSFODNN7EXAMPLE (Active)"], wrap=True, give=2),
        fit.Column("Last used", ["2019-06-11 (2,699 d)"], wrap=True),
        fit.Column("Reason", ["word " * 20], flexible=True),
    ]
    natural = [4, 29, 20, 99]  # "User" is wider than "bob"
    assert fit.fit_widths(columns, sum(natural) + fit.table_overhead(4)) == natural
    # Too narrow: the reason narrows first, down to 36 ...
    assert fit.fit_widths(columns, 13 + 4 + 29 + 20 + 40) == [4, 29, 20, 40]
    assert fit.fit_widths(columns, 13 + 4 + 29 + 18 + 36) == [4, 29, 18, 36]
    # ... then the date wraps (10 wide), then the credential (its key ID stays whole, 20) ...
    assert fit.fit_widths(columns, 13 + 4 + 29 + 10 + 36) == [4, 29, 10, 36]
    assert fit.fit_widths(columns, 13 + 4 + 20 + 10 + 36) == [4, 20, 10, 36]
    # ... then the reason, down to 24; narrower than that, the rows are stacked.
    assert fit.fit_widths(columns, 13 + 4 + 20 + 10 + 24) == [4, 20, 10, 24]
    assert fit.fit_widths(columns, 13 + 4 + 20 + 10 + 23) is None


def test_piped_output_follows_columns_and_wraps_instead_of_cropping():
    runner = CliRunner()
    for columns, width in (("72", 72), (None, PIPE_WIDTH)):
        env = {"COLUMNS": columns} if columns else {"COLUMNS": ""}
        result = runner.invoke(main, ["scan", "--sample"], env=env, prog_name="stalecreds")
        assert result.exit_code == 1, result.output
        lines = result.stdout.splitlines()
        assert max(cell_len(line) for line in lines) <= width
        # Nothing is cropped: the longest reason's last words are there.
        assert "the 90-day window that starts" in result.stdout
        assert "2026-08-03." in result.stdout
        assert "frank,contractor" in result.stdout


def test_a_large_section_is_counted_per_account_with_a_note(monkeypatch):
    monkeypatch.setattr(table, "LIST_LIMIT", 2)
    scan = live_like_scan(("111122223333", "444455556666"))
    text = render_at(scan, 100, monkeypatch)
    findings = [a for a in scan if a.finding_rules]
    assert len(findings) > 2
    assert f"Findings ({len(findings)}): more than 2, counted per account" in text
    per_account = len([a for a in findings if a.owner.account_id == "111122223333"])
    row = next(line for line in text.splitlines() if line.startswith("│ 111122223333"))
    assert row.split("│")[2].strip() == str(per_account)
    assert "unused" in row.split("│")[3]
    note = "--format csv or --format json (with -o FILE) lists every credential"
    assert note in " ".join(text.split())
    findings_part = text[text.index("Findings (") : text.index("Inactive access keys")]
    assert "AKIAIOSFODNN7EXAMPLE" not in findings_part  # counted, not listed


def test_the_table_keeps_at_most_the_limit_of_assessments(monkeypatch):
    monkeypatch.setattr(table, "LIST_LIMIT", 3)
    section = table._Section()
    scan = live_like_scan(("111122223333", "444455556666", "777788889999"))
    for assessment in scan:
        section.add(assessment)
    assert section.rows is None
    assert section.count == len(scan.assessments)
    assert sum(c.total() for c in section.by_account.values()) == section.count


def test_report_values_never_break_out_of_the_stacked_layout(monkeypatch):
    data = report(
        report_row(
            user='"evil\x1b[2Jname"',
            arn='"arn:aws:iam::111122223333:user/evil"',
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        )
    )
    text = render_at(scan_report(data, as_of=AS_OF), 60, monkeypatch)
    assert "\x1b" not in text
    assert "evil\\x1b[2Jname" in text


def test_the_readme_shows_the_80_column_table_as_it_is():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The table") :]
    start = section.index("```text\n") + len("```text\n")
    shown = section[start : section.index("\n```", start)]
    result = CliRunner().invoke(main, ["scan", "--sample"], env={"COLUMNS": "80"})
    printed = "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").splitlines())
    assert shown == printed
