"""The command line: exit codes, error lines, --output atomicity, formats, options.

Rules: issue 2 items 4 and 5 (exit 0/1/2; one error line naming file, line and column, no
traceback, no output file; JSON fields; CSV with the same fields; --output atomic).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.formats.base import RECORD_FIELDS
from tests.conftest import HEADER, ROOT, report, report_row

AS_OF = "2025-06-01T00:00:00Z"
ALICE_IN_USE = report_row(
    password_enabled="true",
    password_last_used="2025-05-20T10:00:00+00:00",
    password_last_changed="2024-01-01T00:00:00+00:00",
)
SVC_NEVER_USED = report_row(
    user="svc",
    arn="arn:aws:iam::111122223333:user/service/svc",
    access_key_1_active="true",
    access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
)
CLEAN = report(ALICE_IN_USE)
WITH_FINDING = report(ALICE_IN_USE, SVC_NEVER_USED)


def run(*args: str, stdin: str | bytes | None = None):
    return CliRunner().invoke(main, ["scan", *args], input=stdin, prog_name="stalecreds")


def write(tmp_path: Path, text: str | bytes, name: str = "report.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def scan_json(*args: str, stdin: str | None = None) -> tuple[int, dict]:
    result = run("--format", "json", *args, stdin=stdin)
    return result.exit_code, json.loads(result.stdout)


# --- exit codes -------------------------------------------------------------------------------


def test_exit_0_without_findings(tmp_path):
    result = run("--report", str(write(tmp_path, CLEAN)), "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "No findings" in result.stdout
    assert "1 user · 1 credential · 0 findings · 0 clean-up candidates" in result.stdout


def test_exit_1_with_findings(tmp_path):
    result = run("--report", str(write(tmp_path, WITH_FINDING)), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "Findings (1)" in result.stdout
    assert "2 users · 2 credentials · 1 finding · 0 clean-up candidates" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report", "x.csv", "--sample"], "give either --report or --sample, not both"),
        (["--report", "a.csv", "--report", "b.csv"], "give --report once; to scan several"),
        (["--sample", "--profile", "prod"], "--profile needs a live scan"),
        (["--sample", "--source", "api"], "--source needs a live scan"),
        (["--sample", "--recheck", "always"], "--recheck needs a live scan"),
        (["--report", "x.csv", "--all-key-ids"], "--all-key-ids needs a live scan"),
        (["--sample", "--exempt-tag", "keep"], "--exempt-tag needs a live scan"),
        (["--sample", "--role-name", "Audit"], "--role-name needs a live scan"),
        (["--sample", "--max-age", "0"], "Invalid value for '--max-age'"),
        (["--sample", "--password-max-age", "0"], "Invalid value for '--password-max-age'"),
        (["--sample", "--key-max-age", "-5"], "Invalid value for '--key-max-age'"),
        (["--sample", "--as-of", "yesterday"], "Invalid value for '--as-of'"),
        (["--sample", "--as-of", "2025-13-01"], "Invalid value for '--as-of'"),
        (["--sample", "--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_report_file_exits_2(tmp_path):
    missing = tmp_path / "nope.csv"
    result = run("--report", str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"stalecreds: error: {missing}: No such file or directory\n"


# --- malformed input -----------------------------------------------------------------------


def test_malformed_report_gives_exactly_one_error_line(tmp_path):
    path = write(tmp_path, report(ALICE_IN_USE, report_row(user="bob", mfa_active="yes")))
    result = run("--report", str(path), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"stalecreds: error: {path}, line 3, column 8 (mfa_active): "
        "expected true or false, got 'yes'\n"
    )


SHORT_ROW = report_row().rsplit(",", 1)[0]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        pytest.param(b"", None, id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", (1, 1), id="binary"),
        pytest.param(report(ALICE_IN_USE, header=HEADER.replace(",mfa_active", "")), (1, None),
                     id="missing-column"),
        pytest.param(report(ALICE_IN_USE, SHORT_ROW), (3, 22), id="short-row"),
        pytest.param(report(report_row(user_creation_time="2020-02-30T00:00:00Z")), (2, 3),
                     id="bad-date"),
        pytest.param(report(report_row(access_key_2_active="ja")), (2, 14), id="bad-boolean"),
    ],
)  # fmt: skip
def test_input_errors_exit_2_with_one_located_line(tmp_path, data, where):
    path = write(tmp_path, data)
    result = run("--report", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.endswith("\n")
    assert result.stderr.startswith(f"stalecreds: error: {path}")
    assert "Traceback" not in result.stderr
    if where is not None:
        line, column = where
        assert f", line {line}" in result.stderr
        if column is not None:
            assert f", column {column}" in result.stderr


def test_input_error_on_stdin_names_stdin(tmp_path):
    result = run("--report", "-", "--as-of", AS_OF, stdin=report(report_row(mfa_active="x")))
    assert result.exit_code == 2
    assert result.stderr.startswith("stalecreds: error: <stdin>, line 2, column 8 (mfa_active): ")


# --- --output ---------------------------------------------------------------------------------

BAD_LATE = report(ALICE_IN_USE, SVC_NEVER_USED, report_row(user="bad", mfa_active="maybe"))
"""Malformed on line 4, after two good rows have been rendered."""


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_output_not_created_on_malformed_report(tmp_path, fmt):
    path = write(tmp_path, BAD_LATE)
    out = tmp_path / "result.out"
    result = run("--report", str(path), "--as-of", AS_OF, "--format", fmt, "--output", str(out))
    assert result.exit_code == 2
    assert ", line 4, column 8 (mfa_active)" in result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]  # no temporary left


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_existing_output_left_unchanged_on_malformed_report(tmp_path, fmt):
    path = write(tmp_path, BAD_LATE)
    out = tmp_path / "result.out"
    previous = b'{"previous": true}\r\n\x00keep'
    out.write_bytes(previous)
    result = run("--report", str(path), "--as-of", AS_OF, "--format", fmt, "--output", str(out))
    assert result.exit_code == 2
    assert out.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "result.out"]


def test_output_written_on_success(tmp_path):
    path = write(tmp_path, WITH_FINDING)
    out = tmp_path / "result.json"
    out.write_text("old")
    result = run("--report", str(path), "--as-of", AS_OF, "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"stalecreds: wrote {out} (2 credentials, 1 finding)\n"
    document = json.loads(out.read_text())
    assert [c["user"] for c in document["credentials"]] == ["alice", "svc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "result.json"]


# --- JSON -------------------------------------------------------------------------------------


def test_json_document(tmp_path):
    path = write(tmp_path, WITH_FINDING)
    result = run("--report", str(path), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    assert document["as_of"] == "2025-06-01T00:00:00+00:00"
    assert document["max_age_days"] == {"password": 90, "access_key": 90}
    assert document["source"]["file"] == str(path)
    assert document["source"]["format"] == "csv"
    assert document["source"]["generated_time"] is None
    assert document["warnings"] == []
    summary = document["summary"]
    assert (summary["users"], summary["credentials"], summary["findings"]) == (2, 2, 1)
    alice, svc = document["credentials"]
    expected_alice = {
        "account_id": "111122223333",
        "user": "alice",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "kind": "password",
        "slot": None,
        "access_key_id": None,
        "status": None,
        "created": "2024-01-01T00:00:00+00:00",
        "last_used": "2025-05-20T10:00:00+00:00",
        "last_used_region": None,
        "last_used_service": None,
        "verdict": "in_use",
        "finding": False,
    }
    assert {k: alice[k] for k in expected_alice} == expected_alice
    assert alice["reason"] == (
        "Last sign-in 2025-05-20, inside the 90-day window that starts 2025-03-03."
    )
    expected_svc = {
        "account_id": "111122223333",
        "user": "svc",
        "arn": "arn:aws:iam::111122223333:user/service/svc",
        "kind": "access_key",
        "slot": 1,
        "access_key_id": None,
        "status": "Active",
        "created": "2024-01-01T00:00:00+00:00",
        "last_used": None,
        "last_used_region": None,
        "last_used_service": None,
        "verdict": "never_used",
        "finding": True,
    }
    assert {k: svc[k] for k in expected_svc} == expected_svc
    assert "2024-01-01" in svc["reason"]


def test_json_credential_of_root_keeps_root_account_name(tmp_path):
    root = report_row(
        user="<root_account>",
        arn="arn:aws:iam::111122223333:root",
        password_enabled="not_supported",
        password_last_used="2025-05-31T00:00:00+00:00",
        password_last_changed="not_supported",
        access_key_1_active="true",
        access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-05-31T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="s3",
    )
    code, document = scan_json("--report", str(write(tmp_path, report(root))), "--as-of", AS_OF)
    # An Active root key is a finding even when in use (CIS: no root access keys).
    assert code == 1
    assert [
        (c["user"], c["kind"], c["verdict"], c["finding"], c["last_used_region"])
        for c in document["credentials"]
    ] == [
        ("<root_account>", "password", "in_use", False, None),
        ("<root_account>", "access_key", "in_use", True, "us-east-1"),
    ]


# --- CSV --------------------------------------------------------------------------------------


def test_csv_output(tmp_path):
    path = write(tmp_path, WITH_FINDING)
    result = run("--report", str(path), "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 1
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == RECORD_FIELDS
    assert len(rows) == 1 + 2
    records = [dict(zip(RECORD_FIELDS, row, strict=True)) for row in rows[1:]]
    assert [(r["user"], r["kind"], r["slot"], r["verdict"], r["finding"]) for r in records] == [
        ("alice", "password", "", "in_use", "false"),
        ("svc", "access_key", "1", "never_used", "true"),
    ]
    assert records[1]["created"] == "2024-01-01T00:00:00+00:00"
    assert records[1]["status"] == "Active"


def test_csv_of_an_empty_report_is_the_header_only(tmp_path):
    result = run("--report", str(write(tmp_path, HEADER)), "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == ",".join(RECORD_FIELDS) + "\n"


# --- options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of", ["2025-06-01", "2025-06-01T00:00:00Z", "2025-06-01T00:00:00+00:00",
              "2025-06-01T02:00:00+02:00"],
)  # fmt: skip
def test_as_of_forms(tmp_path, as_of):
    code, document = scan_json("--report", str(write(tmp_path, CLEAN)), "--as-of", as_of)
    assert code == 0
    assert document["as_of"] == "2025-06-01T00:00:00+00:00"


def test_as_of_moves_the_window(tmp_path):
    # Alice last signed in 2025-05-20; 90 days later plus one (2025-08-19) the password is unused.
    path = str(write(tmp_path, CLEAN))
    code, document = scan_json("--report", path, "--as-of", "2025-08-19")
    assert code == 1
    assert document["credentials"][0]["verdict"] == "unused"
    code, document = scan_json("--report", path, "--as-of", "2025-08-18")
    assert code == 0
    assert document["credentials"][0]["verdict"] == "in_use"


DEV = report(
    report_row(
        user="dev",
        arn="arn:aws:iam::111122223333:user/dev",
        password_enabled="true",
        password_last_used="2025-04-01T00:00:00+00:00",
        password_last_changed="2023-01-01T00:00:00+00:00",
        access_key_1_active="true",
        access_key_1_last_rotated="2023-01-01T00:00:00+00:00",
        access_key_1_last_used_date="2025-04-01T00:00:00+00:00",
        access_key_1_last_used_region="us-east-1",
        access_key_1_last_used_service="sts",
    )
)
"""Password and key both last used 2025-04-01: 61 days before 2025-06-01."""


@pytest.mark.parametrize(
    ("options", "code", "max_ages", "password_verdict", "key_verdict"),
    [
        ([], 0, (90, 90), "in_use", "in_use"),
        (["--max-age", "30"], 1, (30, 30), "unused", "unused"),
        (["--max-age", "30", "--password-max-age", "90"], 1, (90, 30), "in_use", "unused"),
        (["--max-age", "30", "--key-max-age", "90"], 1, (30, 90), "unused", "in_use"),
        (["--max-age", "30", "--password-max-age", "61", "--key-max-age", "62"], 0, (61, 62),
         "in_use", "in_use"),
        (["--password-max-age", "60"], 1, (60, 90), "unused", "in_use"),
        (["--key-max-age", "60"], 1, (90, 60), "in_use", "unused"),
    ],
)  # fmt: skip
def test_separate_max_ages(tmp_path, options, code, max_ages, password_verdict, key_verdict):
    path = str(write(tmp_path, DEV))
    exit_code, document = scan_json("--report", path, "--as-of", AS_OF, *options)
    assert exit_code == code
    assert document["max_age_days"] == {"password": max_ages[0], "access_key": max_ages[1]}
    assert [(c["kind"], c["verdict"]) for c in document["credentials"]] == [
        ("password", password_verdict),
        ("access_key", key_verdict),
    ]


# --- the sample and the table -------------------------------------------------------------------


def test_sample_exits_1_and_names_the_findings():
    # The bundled sample, judged as of its GeneratedTime 2026-11-01T09:14:27Z (window from
    # 2026-08-03). Findings by hand: root key 1 (Active, last used 2019-06-11), bob's password
    # (2026-03-14) and key 1 (2026-03-10), break-glass's password (2024-04-11), data-pipeline
    # key 1 (never used, created 2025-09-01), dave's password (never used, set 2025-02-11),
    # legacy-backup key 1 (no use since tracking began, created 2014-02-27).
    result = run("--sample")
    assert result.exit_code == 1
    text = result.stdout
    assert "judged as of 2026-11-01 09:14 UTC" in text
    findings = text[text.index("Findings (7)") : text.index("Inactive access keys")]
    for name in ("<root_account>", "bob", "break-glass", "data-pipeline", "dave", "legacy-backup"):
        assert name in findings
    for name in ("alice", "carol", "ci-deploy", "frank", "reporting"):
        assert name not in findings
    assert "The root user should" in findings  # the reason cell wraps after this
    assert "11 users · 17 credentials · 7 findings · 1 clean-up candidate" in text


def test_table_lists_findings_before_other_credentials(tmp_path):
    amy = report_row(
        user="amy",
        arn="arn:aws:iam::111122223333:user/amy",
        password_enabled="true",
        password_last_used="2025-05-30T00:00:00+00:00",
        password_last_changed="2024-01-01T00:00:00+00:00",
    )
    zed = report_row(
        user="zed",
        arn="arn:aws:iam::111122223333:user/zed",
        access_key_2_active="true",
        access_key_2_last_rotated="2024-01-01T00:00:00+00:00",
        access_key_2_last_used_date="2024-06-01T00:00:00+00:00",
    )
    result = run("--report", str(write(tmp_path, report(amy, zed))), "--as-of", AS_OF)
    assert result.exit_code == 1
    text = result.stdout
    assert text.index("Findings (1)") < text.index("zed") < text.index("Other credentials (1)")
    assert text.index("Other credentials (1)") < text.index("amy")


# --- warnings ---------------------------------------------------------------------------------

DUPLICATE = report(ALICE_IN_USE, ALICE_IN_USE)


def test_warnings_go_to_stderr_not_stdout(tmp_path):
    path = write(tmp_path, DUPLICATE)
    result = run("--report", str(path), "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "stalecreds: warning" not in result.stdout
    assert "already appeared" not in result.stdout
    assert result.stderr.startswith(f"stalecreds: warning: {path}, line 3: user 'alice'")
    assert "already appeared on line 2" in result.stderr
    assert result.stderr.count("\n") == 1


def test_warnings_are_in_the_json_and_json_stdout_stays_clean(tmp_path):
    path = write(tmp_path, DUPLICATE)
    result = run("--report", str(path), "--as-of", AS_OF, "--format", "json")
    document = json.loads(result.stdout)
    assert [w["line"] for w in document["warnings"]] == [3]
    assert "already appeared on line 2" in document["warnings"][0]["message"]
    assert "stalecreds: warning:" in result.stderr


# --- the real process -------------------------------------------------------------------------


def test_python_m_stalecreds_reads_stdin():
    completed = subprocess.run(
        [sys.executable, "-m", "stalecreds", "scan", "--report", "-", "--format", "json",
         "--as-of", AS_OF],
        input=WITH_FINDING.replace("\n", "\r\n").encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr == b""
    document = json.loads(completed.stdout)
    assert document["source"] == {
        "type": "credential_report",
        "file": "<stdin>",
        "format": "csv",
        "generated_time": None,
    }
    assert [(c["user"], c["kind"], c["verdict"]) for c in document["credentials"]] == [
        ("alice", "password", "in_use"),
        ("svc", "access_key", "never_used"),
    ]


def test_config_exemption_is_in_the_json_and_not_a_finding(tmp_path):
    data = report(
        report_row(
            user="break-glass",
            arn="arn:aws:iam::111122223333:user/break-glass",
            password_enabled="true",
            password_last_used="2020-01-01T00:00:00+00:00",
            password_last_changed="2019-01-01T00:00:00+00:00",
        )
    )
    report_file = tmp_path / "r.csv"
    report_file.write_text(data)
    config = tmp_path / "exempt.toml"
    config.write_text('[[exempt]]\nuser = "break-*"\nreason = "Emergency access"\n')
    result = run(
        "--report", str(report_file), "--as-of", "2025-06-01", "--format", "json",
        "--config", str(config),
    )  # fmt: skip
    assert result.exit_code == 0  # the only unused credential is exempt: no findings
    (record,) = json.loads(result.stdout)["credentials"]
    assert record["verdict"] == "unused"
    assert record["finding"] is False
    assert record["exempt"] is True
    assert record["exemption_reason"] == "Emergency access (config: user = 'break-*')"


@pytest.mark.parametrize("output_format", ["table", "json", "html"])
def test_a_reader_that_stops_early_is_not_an_error(tmp_path, output_format):
    """``stalecreds scan … | head``: no error message, and the scan's own exit code (0 with
    --exit-zero; rich alone would exit 1)."""
    rows = [
        report_row(
            user=f"user-{n:05d}",
            arn=f"arn:aws:iam::123456789012:user/user-{n:05d}",
            access_key_1_active="true",
            access_key_1_last_rotated="2020-01-01T00:00:00+00:00",
            access_key_1_last_used_date="2021-01-01T00:00:00+00:00",
        )
        for n in range(3000)  # well over a pipe's buffer in every format
    ]
    path = tmp_path / "big.csv"
    path.write_text(report(*rows))
    command = [sys.executable, "-m", "stalecreds", "scan", "--report", str(path)]
    with subprocess.Popen(
        [*command, "--format", output_format, "--as-of", "2026-11-01T00:00:00Z", "--exit-zero"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100)
        process.stdout.close()
        errors = process.stderr.read().decode()
        assert process.wait(timeout=60) == 0
    assert "Broken pipe" not in errors and "Traceback" not in errors


def test_output_cannot_overwrite_the_report_it_reads(tmp_path):
    path = tmp_path / "report.csv"
    text = report(report_row(user="alice", arn="arn:aws:iam::123456789012:user/alice"))
    path.write_text(text)
    result = run("--report", str(path), "--format", "csv", "-o", str(path))
    assert result.exit_code == 2
    assert f"--output {path} would overwrite or join the reports it reads" in result.stderr
    assert path.read_text() == text


def test_output_cannot_be_written_into_the_folder_it_reads(tmp_path):
    (tmp_path / "a.csv").write_text(report(report_row()))
    result = run("--report", str(tmp_path), "--format", "csv", "-o", str(tmp_path / "b.csv"))
    assert result.exit_code == 2
    assert "would overwrite or join the reports it reads" in result.stderr
    assert not (tmp_path / "b.csv").exists()


def test_output_cannot_overwrite_a_report_in_the_folder_it_reads(tmp_path):
    path = tmp_path / "a.csv"
    text = report(report_row(user="alice", arn="arn:aws:iam::123456789012:user/alice"))
    path.write_text(text)
    result = run("--report", str(tmp_path), "--format", "json", "-o", str(path))
    assert result.exit_code == 2
    assert path.read_text() == text


def test_warnings_on_the_terminal_show_control_characters_escaped(tmp_path):
    arn = "arn:aws:iam::123456789012:user/esc\x1b]0;PWNED\x07"
    path = tmp_path / "dup.csv"
    path.write_text(report(report_row(user="esc", arn=arn), report_row(user="esc", arn=arn)))
    result = run("--report", str(path), "--as-of", "2026-11-01T00:00:00Z")
    assert "warning" in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "esc\\x1b]0;PWNED\\x07" in result.stderr
