"""Several reports of one account in a ``--report`` folder (issue 12, item 4).

Once a bug: they were merged without a word: the root user showed two ``root password`` rows
with contradictory verdicts, nothing said which file a row came from, and users were counted
twice. Now only the newest report of each account is read (``GeneratedTime``, else the file's
modification time; a tie goes to the path that sorts last), the others are skipped with a
warning and a ``skipped`` row in the JSON ``accounts``, and every credential of a scan that read
several files names its ``source_file``.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from stalecreds.cli import main
from tests.conftest import report, report_row

AS_OF = "2026-11-01T00:00:00+00:00"
ACCOUNT = "111122223333"
OTHER = "444455556666"


def root_row(account: str, last_used: str) -> str:
    return report_row(
        user="<root_account>",
        arn=f"arn:aws:iam::{account}:root",
        password_enabled="not_supported",
        password_last_used=last_used,
        password_last_changed="not_supported",
        password_next_rotation="not_supported",
    )


def user_row(account: str, name: str) -> str:
    return report_row(
        user=name,
        arn=f"arn:aws:iam::{account}:user/{name}",
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
    )


# The older report: root signed in long ago (unused); the newer: root signed in last week.
OLD = report(root_row(ACCOUNT, "2025-01-01T00:00:00+00:00"), user_row(ACCOUNT, "olduser"))
NEW = report(root_row(ACCOUNT, "2026-10-25T00:00:00+00:00"), user_row(ACCOUNT, "newuser"))
ELSEWHERE = report(root_row(OTHER, "2026-10-30T00:00:00+00:00"))


def write(path: Path, text: str, mtime: int) -> Path:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def scan(*args: str) -> Any:
    return CliRunner().invoke(
        main, ["scan", "--as-of", AS_OF, "--format", "json", *args], prog_name="stalecreds"
    )


def test_only_the_newest_report_of_an_account_is_read(tmp_path: Path):
    # "a-new" sorts first, so the newest is chosen by time, not by name.
    new = write(tmp_path / "a-new.csv", NEW, 1_790_000_000)
    old = write(tmp_path / "b-old.csv", OLD, 1_780_000_000)
    other = write(tmp_path / "c-other.csv", ELSEWHERE, 1_700_000_000)
    result = scan("--report", str(tmp_path))
    assert result.exit_code == 1, result.stderr  # findings; a skipped report is no failure
    document = json.loads(result.stdout)
    roots = [c for c in document["credentials"] if c["user"] == "<root_account>"]
    assert [(c["account_id"], c["verdict"]) for c in roots] == [
        (ACCOUNT, "in_use"),
        (OTHER, "in_use"),
    ]
    assert "olduser" not in {c["user"] for c in document["credentials"]}
    assert document["summary"]["users"] == 3  # root and newuser, root of the other account
    rows = {Path(r["name"]).name: r for r in document["accounts"]}
    assert rows["b-old.csv"] == {
        "account_id": ACCOUNT,
        "name": str(old),
        "status": "skipped",
        "users": None,
        "credentials": None,
        "findings": None,
        "error": None,
        "superseded_by": f"{new} (modified 2026-09-21 14:13:20 UTC)",
    }
    assert rows["a-new.csv"]["status"] == rows["c-other.csv"]["status"] == "scanned"
    assert rows["a-new.csv"]["superseded_by"] is None
    warning = (
        f"{old}: skipped: {new} (modified 2026-09-21 14:13:20 UTC) is a newer report of "
        f"account {ACCOUNT} (--all-reports reads every report)"
    )
    assert {"line": None, "message": warning} in document["warnings"]
    assert f"stalecreds: warning: {warning}" in result.stderr
    # every credential names its file: the scan read several
    assert {c["source_file"] for c in document["credentials"]} == {str(new), str(other)}


def cli_json(text: str, generated: str) -> str:
    content = base64.b64encode(text.encode()).decode()
    return json.dumps({"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated})


def test_generated_time_comes_before_the_file_time(tmp_path: Path):
    # The JSON file is older on disk, but its GeneratedTime is later than the CSV's file time.
    newer = write(tmp_path / "fetched.json", cli_json(NEW, "2026-10-31T08:00:00+00:00"), 1_000)
    older = write(tmp_path / "download.csv", OLD, 1_790_000_000)  # 2026-09-20
    document = json.loads(scan("--report", str(tmp_path)).stdout)
    rows = {Path(r["name"]).name: r for r in document["accounts"]}
    assert rows["download.csv"]["status"] == "skipped"
    assert rows["download.csv"]["superseded_by"] == (f"{newer} (generated 2026-10-31 08:00:00 UTC)")
    assert rows["fetched.json"]["status"] == "scanned"
    assert {c["source_file"] for c in document["credentials"]} == {str(newer)}
    assert f"{older}: skipped" in document["warnings"][0]["message"]


def test_a_tie_goes_to_the_path_that_sorts_last(tmp_path: Path):
    write(tmp_path / "export-1.csv", OLD, 1_790_000_000)
    last = write(tmp_path / "export-2.csv", NEW, 1_790_000_000)
    document = json.loads(scan("--report", str(tmp_path)).stdout)
    statuses = {Path(r["name"]).name: r["status"] for r in document["accounts"]}
    assert statuses == {"export-1.csv": "skipped", "export-2.csv": "scanned"}
    assert {c["source_file"] for c in document["credentials"]} == {str(last)}


def test_all_reports_reads_every_report_and_names_the_files(tmp_path: Path):
    new = write(tmp_path / "a-new.csv", NEW, 1_790_000_000)
    old = write(tmp_path / "b-old.csv", OLD, 1_780_000_000)
    document = json.loads(scan("--report", str(tmp_path), "--all-reports").stdout)
    assert {r["status"] for r in document["accounts"]} == {"scanned"}
    by_file = {(c["user"], c["source_file"]) for c in document["credentials"]}
    assert ("<root_account>", str(new)) in by_file
    assert ("<root_account>", str(old)) in by_file
    assert ("olduser", str(old)) in by_file


def test_the_csv_has_the_source_file_column(tmp_path: Path):
    new = write(tmp_path / "a-new.csv", NEW, 1_790_000_000)
    write(tmp_path / "b-old.csv", OLD, 1_780_000_000)
    result = CliRunner().invoke(
        main, ["scan", "--as-of", AS_OF, "--format", "csv", "--report", str(tmp_path)]
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r["source_file"] for r in rows} == {str(new)}


def test_a_single_report_names_no_file(tmp_path: Path):
    path = write(tmp_path / "one.csv", NEW, 1_790_000_000)
    document = json.loads(scan("--report", str(path)).stdout)
    assert {c["source_file"] for c in document["credentials"]} == {None}
    folder = json.loads(scan("--report", str(tmp_path)).stdout)  # a folder of one report
    assert {c["source_file"] for c in folder["credentials"]} == {None}


def test_all_reports_needs_a_folder(tmp_path: Path):
    path = write(tmp_path / "one.csv", NEW, 1_790_000_000)
    result = scan("--report", str(path), "--all-reports")
    assert result.exit_code == 2
    assert "--all-reports needs --report FOLDER" in result.stderr
