"""``stalecreds scan --report DIR``: every report file is one account; a bad file fails alone.

The folder holds several reports of one account (the samples of 644160558196 and 123456789012);
by default only the newest of each is read (tests/test_report_duplicates.py), so the tests here
that compare every file's results read them all, with ``--all-reports``.

The folder holds copies of the public sample reports (``shared/data/reports/*.csv``), their
README (not a report: ignored), and one malformed report. The scan must exit 4, list the
malformed file as failed at step ``read``, and give every other file's credentials exactly as
scanning that file alone gives them.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from tests.conftest import report, report_row

AS_OF = "2026-11-01T00:00:00+00:00"
MALFORMED = "m-malformed.csv"
"""Sorted among the good files, so that order is checked too."""
BAD_ROW = report_row(
    user="broken", arn="arn:aws:iam::210987654321:user/broken", user_creation_time="yesterday"
)


def scan(*args: str) -> Any:
    return CliRunner().invoke(
        main, ["scan", "--as-of", AS_OF, "--format", "json", *args], prog_name="stalecreds"
    )


@pytest.fixture
def folder(shared: Path, tmp_path: Path) -> Path:
    target = tmp_path / "exports"
    target.mkdir()
    for path in sorted((shared / "data" / "reports").glob("*.csv")):
        shutil.copy(path, target / path.name)
    shutil.copy(shared / "data" / "reports" / "README.md", target / "README.md")
    good = report_row(user="fine", arn="arn:aws:iam::210987654321:user/fine")
    (target / MALFORMED).write_text(report(good, BAD_ROW), encoding="utf-8")
    return target


def good_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.csv") if p.name != MALFORMED)


def alone(path: Path) -> dict[str, Any]:
    result = scan("--report", str(path))
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_the_folder_holds_every_sample(folder, shared):
    assert len(good_files(folder)) == len(list((shared / "data" / "reports").glob("*.csv"))) >= 10


def test_a_malformed_file_gives_exit_4_and_the_other_files_results(folder):
    result = scan("--report", str(folder), "--all-reports")
    assert result.exit_code == 4, result.stderr
    document = json.loads(result.stdout)
    files = sorted([*good_files(folder), folder / MALFORMED])

    # One row per report file, in name order; README.md is not one.
    rows = document["accounts"]
    assert [row["name"] for row in rows] == [str(p) for p in files]
    failed = [row for row in rows if row["status"] == "failed"]
    assert failed == [
        {
            "account_id": "",
            "name": str(folder / MALFORMED),
            "status": "failed",
            "users": None,
            "credentials": None,
            "findings": None,
            "error": {
                "step": "read",
                "action": str(folder / MALFORMED),
                "code": "ReportFormatError",
                "message": failed[0]["error"]["message"],
            },
            "superseded_by": None,
        }
    ]
    message = failed[0]["error"]["message"]
    assert message.startswith(f"{folder / MALFORMED}, line 3, column 3 (user_creation_time): ")
    assert "yesterday" in message

    # Every other file: its credentials exactly as scanning it alone gives them, in order.
    expected: list[dict[str, Any]] = []
    for path, row in zip(files, rows, strict=True):
        if path.name == MALFORMED:
            continue
        single = alone(path)
        # Read with other files, each credential names its file (issue 12, item 4).
        expected += [{**c, "source_file": str(path)} for c in single["credentials"]]
        assert row["status"] == "scanned"
        assert (row["users"], row["credentials"], row["findings"]) == (
            single["summary"]["users"],
            single["summary"]["credentials"],
            single["summary"]["findings"],
        )
    assert document["credentials"] == expected
    assert all(c["user"] not in ("fine", "broken") for c in document["credentials"])
    assert document["summary"]["credentials"] == len(expected)
    assert document["summary"]["users"] == sum(r["users"] for r in rows if r["users"] is not None)
    assert document["source"]["file"] == f"{folder} ({len(files)} reports)"
    assert document["source"]["format"] == "folder"

    assert f"stalecreds: error: {folder / MALFORMED}, line " in result.stderr
    assert "ReportFormatError" not in result.stderr and "account ?" not in result.stderr
    assert "stalecreds: 1 report file could not be scanned; the result is partial" in result.stderr


def test_the_same_result_with_one_worker_or_many(folder):
    one = scan("--report", str(folder), "--all-reports", "--max-workers", "1")
    many = scan("--report", str(folder), "--all-reports", "--max-workers", "16")
    assert one.exit_code == many.exit_code == 4
    assert json.loads(one.stdout) == json.loads(many.stdout)


def test_a_folder_of_good_reports_exits_as_one_report_would(folder):
    (folder / MALFORMED).unlink()
    result = scan("--report", str(folder), "--all-reports")
    assert result.exit_code == 1  # findings, nothing failed
    document = json.loads(result.stdout)
    assert {row["status"] for row in document["accounts"]} == {"scanned"}
    clean = scan("--report", str(folder), "--all-reports", "--exit-zero")
    assert clean.exit_code == 0


def test_an_empty_file_and_a_json_report_in_the_folder(folder):
    (folder / MALFORMED).unlink()
    (folder / "a-empty.csv").write_bytes(b"")
    sample = resources.files("stalecreds").joinpath("data", "sample-credential-report.json")
    (folder / "sample.json").write_bytes(sample.read_bytes())
    result = scan("--report", str(folder), "--all-reports")
    assert result.exit_code == 4
    rows = {Path(str(r["name"])).name: r for r in json.loads(result.stdout)["accounts"]}
    assert rows["a-empty.csv"]["status"] == "failed"
    assert rows["a-empty.csv"]["error"]["step"] == "read"
    assert rows["a-empty.csv"]["error"]["code"] == "InputError"
    assert "the input is empty" in rows["a-empty.csv"]["error"]["message"]
    assert rows["sample.json"]["status"] == "scanned"
    assert (
        rows["sample.json"]["credentials"]
        == alone(folder / "sample.json")["summary"]["credentials"]
    )


def test_a_folder_without_reports_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here\n", encoding="utf-8")
    result = scan("--report", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {tmp_path}: no credential reports (*.csv, *.json) in this folder\n"
    )


def test_the_table_lists_every_file(folder):
    result = CliRunner().invoke(
        main, ["scan", "--as-of", AS_OF, "--report", str(folder)], prog_name="stalecreds"
    )
    assert result.exit_code == 4
    assert f"Accounts ({len(good_files(folder)) + 1})" in result.stdout
    assert "read: " in result.stdout


def test_scanned_files_are_listed_with_the_account_id_of_their_arns(folder):
    # Once a bug: account_scans says "each credential report file in a folder is one account
    # (its ID comes from the report's ARNs)", but every row has account_id "" (the table shows
    # "?"); only a file that cannot be read has no account ID to give.
    rows = json.loads(scan("--report", str(folder)).stdout)["accounts"]
    by_file = {Path(str(r["name"])).name: r["account_id"] for r in rows}
    assert by_file["cloud-custodian-3.csv"] == "644160558196"
    assert by_file["prowler-1.csv"] == "123456789012"
    assert by_file[MALFORMED] == ""


def test_warnings_name_the_file_they_come_from(folder):
    # Once a bug: merge() prefixes each account's warnings with "account <account_id>: ",
    # which is "account : " for report files; "line 10" then points into no file in particular
    # (the prefix of the output is the folder).
    document = json.loads(scan("--report", str(folder), "--all-reports").stdout)
    duplicated = [w for w in document["warnings"] if "already appeared on line" in w["message"]]
    assert duplicated, document["warnings"]
    for warning in document["warnings"]:
        assert not warning["message"].startswith("account : "), warning
    assert "cloud-custodian-1.csv" in duplicated[0]["message"]


def test_warnings_name_their_file_and_line(folder):
    result = scan("--report", str(folder), "--all-reports")
    warnings = json.loads(result.stdout)["warnings"]
    duplicate = folder / "cloud-custodian-1.csv"
    assert {
        "line": None,
        "message": f"{duplicate}, line 10: user 'christopher' "
        "(arn:aws:iam::644160558196:user/christopher) already appeared on line 9; "
        "both rows are listed",
    } in warnings
    assert f"stalecreds: warning: {duplicate}, line 10: user 'christopher'" in result.stderr
    assert f"{folder} (" not in result.stderr.split("warning: ", 1)[1].splitlines()[0]
