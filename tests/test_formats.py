"""Output formats rendered from a small ScanResult judged at a fixed as_of.

Every expected value below is derived by hand from the report rows and the verdict rules in
issue 2 (window of 90 days: as_of 2025-06-01T00:00Z, cutoff 2025-03-03T00:00Z).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from stalecreds import scan_report
from stalecreds.formats import OutputFormat
from stalecreds.formats.base import RECORD_FIELDS
from tests.conftest import report, report_row

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
ACCOUNT = "111122223333"

REPORT = report(
    report_row(
        user="<root_account>",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        user_creation_time="2014-01-01T00:00:00+00:00",
        password_enabled="not_supported",
        password_last_used="2025-05-31T12:00:00+00:00",
        password_last_changed="not_supported",
        password_next_rotation="not_supported",
        mfa_active="true",
        access_key_1_active="true",
        access_key_1_last_rotated="2015-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-01-01T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    ),
    report_row(
        user="alice",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        password_enabled="true",
        password_last_used="no_information",
        password_last_changed="2024-01-15T08:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2023-06-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-05-30T10:00:00+00:00",
        access_key_1_last_used_region="eu-west-1",
        access_key_1_last_used_service="sts",
        access_key_2_active="false",
        access_key_2_last_rotated="2022-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2022-06-01T00:00:00+00:00",
        access_key_2_last_used_region="N/A",
        access_key_2_last_used_service="s3",
    ),
    report_row(
        user="bob",
        arn=f"arn:aws:iam::{ACCOUNT}:user/bob",
        password_enabled="TRUE",
        password_last_used="2025-05-01T09:30:00+02:00",
        password_last_changed="2021-07-01T00:00:00+00:00",
        mfa_active="true",
        cert_1_active="true",
        cert_1_last_rotated="2020-02-02T00:00:00+00:00",
    ),
)

ROOT = {
    "account_id": ACCOUNT,
    "user": "<root_account>",
    "arn": f"arn:aws:iam::{ACCOUNT}:root",
    "is_root": True,
    "mfa_active": True,
    "report_line": 2,
}
ALICE = {
    "account_id": ACCOUNT,
    "user": "alice",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "is_root": False,
    "mfa_active": False,
    "report_line": 3,
}
BOB = {
    "account_id": ACCOUNT,
    "user": "bob",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
    "is_root": False,
    "mfa_active": True,
    "report_line": 4,
}
NONE = {"slot": None, "access_key_id": None, "status": None, "last_used_region": None,
        "last_used_service": None,
        # No Organizations name for a report file, and no exemption config in these scans.
        "account_name": None, "exempt": False, "exemption_reason": None,
        "source_file": None}  # fmt: skip

# JSON values, by hand. days_since_* are whole days before 2025-06-01T00:00Z (floored).
EXPECTED_RECORDS = [
    {**ROOT, **NONE, "kind": "password",
     # Root password: no password_last_changed, so created = user_creation_time.
     "created": "2014-01-01T00:00:00+00:00", "last_used": "2025-05-31T12:00:00+00:00",
     "days_since_created": 4169, "days_since_last_used": 0,
     "verdict": "in_use", "finding": False, "finding_rules": [], "cleanup_candidate": False},
    {**ROOT, **NONE, "kind": "access_key", "slot": 1, "status": "Active",
     "created": "2015-01-01T00:00:00+00:00", "last_used": "2025-01-01T00:00:00+00:00",
     "last_used_region": "us-east-1", "last_used_service": "s3",
     "days_since_created": 3804, "days_since_last_used": 151,
     "verdict": "unused", "finding": True,
     "finding_rules": ["unused-credential", "root-access-key"], "cleanup_candidate": False},
    {**ALICE, **NONE, "kind": "password",
     "created": "2024-01-15T08:00:00+00:00", "last_used": None,
     # 2024-01-15 to 2025-06-01 is 503 days; minus 8 hours floors to 502.
     "days_since_created": 502, "days_since_last_used": None,
     "verdict": "never_used", "finding": True, "finding_rules": ["unused-credential"],
     "cleanup_candidate": False},
    {**ALICE, **NONE, "kind": "access_key", "slot": 1, "status": "Active",
     "created": "2023-06-01T00:00:00+00:00", "last_used": "2025-05-30T10:00:00+00:00",
     "last_used_region": "eu-west-1", "last_used_service": "sts",
     "days_since_created": 731, "days_since_last_used": 1,
     "verdict": "in_use", "finding": False, "finding_rules": [], "cleanup_candidate": False},
    {**ALICE, **NONE, "kind": "access_key", "slot": 2, "status": "Inactive",
     "created": "2022-01-01T00:00:00+00:00", "last_used": "2022-06-01T00:00:00+00:00",
     "last_used_region": None, "last_used_service": "s3",
     "days_since_created": 1247, "days_since_last_used": 1096,
     "verdict": "unused", "finding": False, "finding_rules": [], "cleanup_candidate": True},
    {**BOB, **NONE, "kind": "password",
     # 2025-05-01T09:30+02:00 is 07:30Z: 30 days 16.5 hours before as_of.
     "created": "2021-07-01T00:00:00+00:00", "last_used": "2025-05-01T07:30:00+00:00",
     "days_since_created": 1431, "days_since_last_used": 30,
     "verdict": "in_use", "finding": False, "finding_rules": [], "cleanup_candidate": False},
    {**BOB, **NONE, "kind": "signing_certificate", "slot": 1, "status": "Active",
     "created": "2020-02-02T00:00:00+00:00", "last_used": None,
     "days_since_created": 1946, "days_since_last_used": None,
     "verdict": "untracked", "finding": False, "finding_rules": [], "cleanup_candidate": False},
]  # fmt: skip


@pytest.fixture(scope="module")
def result():
    return scan_report(REPORT, as_of=AS_OF, name="formats.csv")


def render(result, fmt: OutputFormat) -> str:
    out = io.StringIO()
    fmt.renderer()(result, out)
    return out.getvalue()


def as_csv_cell(value: object) -> str:
    """How a JSON value must look in the CSV (documented in formats/csv.py)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


# --- JSON -------------------------------------------------------------------------------------


def test_json_records(result):
    document = json.loads(render(result, OutputFormat.JSON))
    records = document["credentials"]
    assert len(records) == len(EXPECTED_RECORDS)
    for got, expected in zip(records, EXPECTED_RECORDS, strict=True):
        assert list(got) == list(RECORD_FIELDS)
        # credential_id: only member roots read with --root-access have one (issue 15).
        assert {k: v for k, v in got.items() if k != "reason"} == expected | {"credential_id": None}


def test_json_reasons_name_the_dates(result):
    reasons = [c["reason"] for c in json.loads(render(result, OutputFormat.JSON))["credentials"]]
    assert reasons[0] == "Last sign-in 2025-05-31, inside the 90-day window that starts 2025-03-03."
    assert reasons[1] == "Last used 2025-01-01, before the 90-day window that starts 2025-03-03."
    assert reasons[2] == (
        "No sign-in since the password was set 2024-01-15, "
        "before the 90-day window that starts 2025-03-03."
    )
    assert reasons[6] == "IAM does not record when a signing certificate is used."


def test_json_head_and_summary(result):
    document = json.loads(render(result, OutputFormat.JSON))
    assert list(document) == [
        "schema_version", "tool", "as_of", "max_age_days", "source", "credentials", "summary",
        "warnings", "warnings_omitted",
    ]  # fmt: skip
    assert document["schema_version"] == 1
    assert document["as_of"] == "2025-06-01T00:00:00+00:00"
    assert document["max_age_days"] == {"password": 90, "access_key": 90}
    assert document["source"] == {
        "type": "credential_report",
        "file": "formats.csv",
        "format": "csv",
        "generated_time": None,
    }
    assert document["summary"] == {
        "users": 3,
        "credentials": 7,
        "findings": 2,
        "cleanup_candidates": 1,
        "by_verdict": {
            "in_use": 3,
            "new": 0,
            "uncertain": 0,
            "never_used": 1,
            "unused": 2,
            "untracked": 1,
            "unknown": 0,
        },
    }
    assert document["warnings"] == []
    assert document["warnings_omitted"] == 0


def test_json_generated_time_of_aws_cli_input():
    import base64

    data = json.dumps(
        {
            "Content": base64.b64encode(REPORT.encode()).decode(),
            "ReportFormat": "text/csv",
            "GeneratedTime": "2025-05-31T23:00:00Z",
        }
    )
    scanned = scan_report(data, as_of=AS_OF, name="cr.json")
    document = json.loads(render(scanned, OutputFormat.JSON))
    assert document["source"] == {
        "type": "credential_report",
        "file": "cr.json",
        "format": "aws-cli-json",
        "generated_time": "2025-05-31T23:00:00+00:00",
    }


def test_json_of_an_empty_report():
    scanned = scan_report(report(), as_of=AS_OF)
    document = json.loads(render(scanned, OutputFormat.JSON))
    assert document["credentials"] == []
    assert document["summary"]["users"] == 0


# --- CSV --------------------------------------------------------------------------------------


def test_csv_carries_the_same_records_as_json(result):
    rows = list(csv.reader(io.StringIO(render(result, OutputFormat.CSV))))
    assert tuple(rows[0]) == RECORD_FIELDS
    json_records = json.loads(render(result, OutputFormat.JSON))["credentials"]
    assert len(rows) - 1 == len(json_records) == 7
    for row, record in zip(rows[1:], json_records, strict=True):
        assert row == [as_csv_cell(record[name]) for name in RECORD_FIELDS]


def test_csv_cells_by_hand(result):
    rows = list(csv.DictReader(io.StringIO(render(result, OutputFormat.CSV))))
    root_key = rows[1]
    assert root_key["created"] == "2015-01-01T00:00:00+00:00"
    assert root_key["days_since_last_used"] == "151"
    assert root_key["finding_rules"] == "unused-credential;root-access-key"
    assert root_key["is_root"] == "true"
    alice_key_2 = rows[4]
    assert (alice_key_2["slot"], alice_key_2["status"], alice_key_2["last_used_region"]) == (
        "2",
        "Inactive",
        "",
    )
    assert alice_key_2["cleanup_candidate"] == "true"
    assert rows[5]["last_used"] == "2025-05-01T07:30:00+00:00"


# --- table ------------------------------------------------------------------------------------


def test_table_shows_findings_first_and_the_summary(result):
    text = render(result, OutputFormat.TABLE)
    assert "\x1b[" not in text  # plain text on a non-terminal
    assert text.startswith("Credential report formats.csv\n")
    assert "judged as of 2025-06-01 00:00 UTC" in text
    findings = text.index("Findings (2)")
    cleanup = text.index("Inactive access keys no longer used: clean-up candidates (1)")
    rest = text.index("Other credentials (4)")
    assert findings < cleanup < rest
    findings_part = text[findings:cleanup]
    assert "never_used" in findings_part
    assert "2025-01-01 (151 d)" in findings_part  # root key 1 last used
    assert "2024-01-15 (502 d)" in findings_part  # alice's password set
    assert "in_use" not in findings_part
    assert "bob" not in findings_part
    assert "access key 2 (Inactive)" in text[cleanup:rest]
    assert "signing certificate 1 (Active)" in text[rest:]
    assert text.rstrip().splitlines()[-2:] == [
        "3 users · 7 credentials · 2 findings · 1 clean-up candidate",
        "Verdicts: 3 in use · 1 never used · 2 unused · 1 untracked",
    ]


# --- every format -----------------------------------------------------------------------------

EXPECTED_VERDICTS = [
    ("<root_account>", "password", "in_use"),
    ("<root_account>", "access_key", "unused"),
    ("alice", "password", "never_used"),
    ("alice", "access_key", "in_use"),
    ("alice", "access_key", "unused"),
    ("bob", "password", "in_use"),
    ("bob", "signing_certificate", "untracked"),
]


def _json_verdicts(text: str) -> object:
    return [(c["user"], c["kind"], c["verdict"]) for c in json.loads(text)["credentials"]]


def _csv_verdicts(text: str) -> object:
    return [(r["user"], r["kind"], r["verdict"]) for r in csv.DictReader(io.StringIO(text))]


def _table_verdicts(text: str) -> object:
    # The table groups and reorders rows; compare the verdict counts it prints instead.
    return [line for line in text.splitlines() if line.startswith(("3 users", "Verdicts:"))]


def _summary_lines(text: str) -> object:
    # Markdown: the headline table's numbers and the verdict counts.
    return [line for line in text.splitlines() if line.startswith(("| 3 ", "**Verdicts:**"))]


def _html_verdicts(text: str) -> object:
    # The table puts findings first; every credential is a row with its data attributes.
    rows = []
    for tag in re.findall(r"<tr [^>]*data-i=[^>]*>", text):
        attrs = {k: html.unescape(v) for k, v in re.findall(r'(data-[a-z]+)="([^"]*)"', tag)}
        rows.append((attrs["data-user"], attrs["data-kind"], attrs["data-verdict"]))
    return sorted(rows)


def _finding_rules_and_verdicts(text: str) -> object:
    # ASFF and OCSF: one entry per finding rule of each finding credential.
    out = []
    for item in json.loads(text):
        fields = item.get("ProductFields") or item["unmapped"]["stalecreds"]
        rule = fields.get("stalecreds/FindingRule") or fields.get("finding_rule")
        verdict = fields.get("stalecreds/Verdict") or fields.get("verdict")
        out.append((rule, verdict))
    return out


FINDING_RULES = [
    ("unused-credential", "unused"),  # root access key 1
    ("root-access-key", "unused"),
    ("unused-credential", "never_used"),  # alice's password
]

CHECKS: dict[OutputFormat, tuple[Callable[[str], object], object]] = {
    OutputFormat.JSON: (_json_verdicts, EXPECTED_VERDICTS),
    OutputFormat.CSV: (_csv_verdicts, EXPECTED_VERDICTS),
    OutputFormat.TABLE: (
        _table_verdicts,
        [
            "3 users · 7 credentials · 2 findings · 1 clean-up candidate",
            "Verdicts: 3 in use · 1 never used · 2 unused · 1 untracked",
        ],
    ),
    OutputFormat.MARKDOWN: (
        _summary_lines,
        ["| 3 | 7 | 2 | 1 |", "**Verdicts:** 3 in use · 1 never used · 2 unused · 1 untracked"],
    ),
    OutputFormat.HTML: (_html_verdicts, sorted(EXPECTED_VERDICTS)),
    OutputFormat.ASFF: (_finding_rules_and_verdicts, FINDING_RULES),
    OutputFormat.OCSF: (_finding_rules_and_verdicts, FINDING_RULES),
}


def test_every_output_format_is_checked():
    assert set(CHECKS) == set(OutputFormat)


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders_the_scan(result, fmt):
    extract, expected = CHECKS[fmt]
    assert extract(render(result, fmt)) == expected


COLLECTING = {OutputFormat.TABLE, OutputFormat.MARKDOWN, OutputFormat.HTML}
"""Formats that read the whole scan before writing: they open with counts or group rows."""


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_ends_with_a_newline_and_streams_unless_it_collects(result, fmt):
    text = render(result, fmt)
    assert text.endswith("\n")
    assert fmt.streams is (fmt not in COLLECTING)


def test_table_never_reads_report_values_as_markup_or_escapes():
    import io as _io

    from stalecreds import scan_report
    from stalecreds.formats import OutputFormat
    from tests.conftest import report, report_row

    name = "[bold red]x[/bold red][link=http://evil.example]y\x1b[2J"
    data = report(
        report_row(
            user=f'"{name}"',
            arn='"arn:aws:iam::111122223333:user/x"',
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
        )
    )
    result = scan_report(data, as_of=AS_OF)
    out = _io.StringIO()
    OutputFormat.TABLE.renderer()(result, out)
    text = out.getvalue()
    assert "[bold red]x" in text  # shown as written, not applied as markup
    assert "[link=http://evil.example]" in text
    assert "\x1b" not in text  # control codes are dropped
