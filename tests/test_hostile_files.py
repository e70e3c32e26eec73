"""Files and hostile input (issue 11, items 11-18): links, modes, clobbering, formula cells,
extreme dates, deep JSON, endless inputs, merge's contract, an empty exemption tag.

Every bad input must end in one line on standard error and exit 2, with no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.errors import InputError
from stalecreds.files import write_file_atomically
from stalecreds.formats.merge import merge_documents
from stalecreds.history.store import History, HistoryError
from stalecreds.remediate.journal import Journal, deactivations, load_journal
from stalecreds.remediate.plan import Plan
from stalecreds.remediate.plan_file import plan_from_json, plan_to_json
from tests.conftest import report, report_row

AS_OF = "2025-06-01T00:00:00+00:00"


def run(*args: str, input: bytes | None = None) -> Any:
    return CliRunner().invoke(main, list(args), prog_name="stalecreds", input=input)


def one_line_error(result: Any, code: int = 2) -> str:
    """The one error line of a refused run; asserts the exit code and no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = [
        line
        for line in result.stderr.splitlines()
        if line.startswith(("stalecreds: error", "Error: "))  # ours, or click's usage error
    ]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def sample_report(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "report.csv"
    path.write_text(report(*(rows or (report_row(),))), encoding="utf-8")
    return path


def unused_user(name: str) -> str:
    return report_row(
        user=name,
        arn=f'"arn:aws:iam::111122223333:user/{name}"',
        password_enabled="true",
        password_last_used="2020-01-01T00:00:00+00:00",
        password_last_changed="2019-01-01T00:00:00+00:00",
    )


# --- item 11: never write through a link at the final component ------------------------------


def test_output_to_a_planted_link_replaces_the_link_never_writes_its_target(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    report_path = sample_report(tmp_path)

    result = run("scan", "--report", str(report_path), "--format", "json", "-o", str(link))

    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not link.is_symlink()
    assert json.loads(link.read_text(encoding="utf-8"))["schema_version"] == 1
    assert mode(link) == 0o600


def test_a_dangling_link_is_replaced_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "created-by-us"
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "plan.json"
    link.symlink_to(target)

    write_file_atomically(link, lambda out: out.write("{}\n"))

    assert not target.exists()
    assert link.read_text(encoding="utf-8") == "{}\n" and not link.is_symlink()


def test_a_journal_or_history_behind_a_link_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n", encoding="utf-8")
    journal = tmp_path / "journal.jsonl"
    journal.symlink_to(victim)
    with pytest.raises(InputError, match="is a symbolic link"):
        Journal(journal)
    history = tmp_path / "history.sqlite"
    history.symlink_to(victim)
    with pytest.raises(HistoryError, match="is a symbolic link"):
        History(history)
    wal_only = tmp_path / "h2.sqlite"
    (tmp_path / "h2.sqlite-wal").symlink_to(victim)
    with pytest.raises(HistoryError, match=r"h2\.sqlite-wal: is a symbolic link"):
        History(wal_only)
    assert victim.read_text(encoding="utf-8") == "keep\n"


# --- item 12: 0600 files, 0700 folders, whatever the umask -----------------------------------


def test_outputs_plans_journals_and_history_are_private_under_umask_022(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    report_path = sample_report(tmp_path, unused_user("bob"))
    out = tmp_path / "scan.csv"
    history = tmp_path / "hist" / "deeper" / "history.sqlite"

    result = run(
        "scan", "--report", str(report_path), "--format", "csv", "-o", str(out),
        "--history", str(history), "--as-of", AS_OF,
    )  # fmt: skip
    plan = tmp_path / "plan.json"
    planned = run("plan", "--report", str(report_path), "--out", str(plan), "--as-of", AS_OF)
    journal_folder = tmp_path / "data" / "stalecreds" / "journals"
    with Journal(journal_folder / "x.jsonl") as journal:
        journal.record("apply-start", plan_id="x")

    assert result.exit_code == 1, result.output
    assert planned.exit_code == 0, planned.output
    assert mode(out) == 0o600
    assert mode(plan) == 0o600
    assert mode(history) == 0o600
    assert mode(history.parent) == 0o700 and mode(history.parent.parent) == 0o700
    for companion in ("-wal", "-shm"):
        path = history.with_name(history.name + companion)
        if path.exists():  # SQLite gives them the database's mode
            assert mode(path) == 0o600
    assert mode(journal_folder / "x.jsonl") == 0o600
    assert mode(journal_folder) == 0o700
    assert mode(journal_folder.parent) == 0o700


def test_a_replaced_output_keeps_its_own_mode(tmp_path: Path, umask_022: None) -> None:
    out = tmp_path / "shared-report.json"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    write_file_atomically(out, lambda stream: stream.write("new\n"))
    assert mode(out) == 0o640 and out.read_text(encoding="utf-8") == "new\n"


# --- item 13: CSV formula injection -----------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_begin_like_a_formula_get_a_quote(tmp_path: Path, prefix: str) -> None:
    name = f"{prefix}HYPERLINK(1)"
    quoted = '"' + name.replace('"', '""') + '"'
    rows = [
        report_row(
            user=quoted,
            arn=f'"arn:aws:iam::111122223333:user/{name}"',
            password_enabled="true",
            password_last_used="2020-01-01T00:00:00+00:00",
            password_last_changed="2019-01-01T00:00:00+00:00",
        )
    ]
    path = sample_report(tmp_path, *rows)

    as_csv = run("scan", "--report", str(path), "--format", "csv", "--as-of", AS_OF)
    as_json = run("scan", "--report", str(path), "--format", "json", "--as-of", AS_OF)

    record = next(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert record["user"] == "'" + name
    assert record["arn"] == f"arn:aws:iam::111122223333:user/{name}"  # begins with 'arn'
    assert json.loads(as_json.stdout)["credentials"][0]["user"] == name  # JSON: raw


# --- item 14: an output that is an input or the history ----------------------------------------


def test_scan_output_onto_the_history_database_is_refused_before_writing(tmp_path: Path) -> None:
    report_path = sample_report(tmp_path)
    history = tmp_path / "history.sqlite"
    with History(history):
        pass
    before = history.read_bytes()

    result = run(
        "scan", "--report", str(report_path), "--history", str(history), "-o", str(history)
    )

    assert "is the history database" in one_line_error(result)
    assert history.read_bytes() == before


def test_other_outputs_onto_inputs_are_refused(tmp_path: Path) -> None:
    report_path = sample_report(tmp_path)
    config = tmp_path / "exempt.toml"
    config.write_text("", encoding="utf-8")
    history = tmp_path / "h.sqlite"
    refused = [
        run("scan", "--report", str(report_path), "--config", str(config), "-o", str(config)),
        run("plan", "--report", str(report_path), "--history", str(history), "--out",
            str(history)),
        run("merge", str(report_path), "-o", str(report_path)),
    ]  # fmt: skip
    for result in refused:
        one_line_error(result)
    assert config.read_text(encoding="utf-8") == ""
    assert report_path.read_text(encoding="utf-8").startswith("user,arn")


def test_apply_journal_onto_the_plan_is_refused(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("{}", encoding="utf-8")
    result = run("apply", str(plan), "--journal", str(plan), "--yes")
    assert "--journal" in one_line_error(result) and plan.read_text(encoding="utf-8") == "{}"


# --- item 15: extreme dates, naive times, huge ages, deep JSON, /dev/null ----------------------

EXTREMES = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")


@pytest.mark.parametrize("moment", EXTREMES)
@pytest.mark.parametrize("column", ["user_creation_time", "password_last_used"])
def test_extreme_dates_in_a_report_are_one_line(tmp_path: Path, moment: str, column: str) -> None:
    row = report_row(
        password_enabled="true",
        password_last_changed="2019-01-01T00:00:00+00:00",
        **{column: moment},
    )
    result = run("scan", "--report", str(sample_report(tmp_path, row)))
    assert f"({column}): timestamp {moment!r} is out of range" in one_line_error(result)


@pytest.mark.parametrize("moment", EXTREMES)
def test_extreme_generated_time_of_a_json_report_is_one_line(tmp_path: Path, moment: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps({"Content": report(report_row()), "GeneratedTime": moment}), encoding="utf-8"
    )
    assert "GeneratedTime is outside the years" in one_line_error(
        run("scan", "--report", str(path))
    )


def a_plan_document(tmp_path: Path, **changes: Any) -> Path:
    path = tmp_path / "plan.json"
    document = json.loads(plan_to_json(minimal_plan()))
    document.update(changes)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def minimal_plan() -> Plan:
    from stalecreds.remediate.plan import PlanPolicy
    from stalecreds.rules.verdicts import Thresholds

    moment = datetime(2025, 6, 1, tzinfo=UTC)
    return Plan("p1", moment, "111122223333", None, moment, Thresholds(), PlanPolicy(), (), ())


@pytest.mark.parametrize("field", ["created", "as_of"])
@pytest.mark.parametrize("moment", [*EXTREMES, "2025-06-01T00:00:00"])
def test_extreme_or_naive_plan_times_are_one_line(tmp_path: Path, field: str, moment: str) -> None:
    result = run("apply", str(a_plan_document(tmp_path, **{field: moment})), "--yes")
    assert f"plan: {field!r} " in one_line_error(result)


@pytest.mark.parametrize("days", [10**12, 36_501])
def test_a_huge_max_age_in_a_plan_is_one_line(tmp_path: Path, days: int) -> None:
    path = a_plan_document(tmp_path, max_age_days={"password": days, "access_key": 90})
    assert "maximum ages must be at most 36,500 days" in one_line_error(run("apply", str(path)))


DEEP = "[" * 200_000 + "]" * 200_000


def test_json_nested_200000_deep_is_one_line_everywhere(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP, encoding="utf-8")
    deep_object = tmp_path / "deep-object.json"
    deep_object.write_text('{"Content": ' + DEEP + "}", encoding="utf-8")
    for args in (
        ("scan", "--report", str(deep_object)),
        ("apply", str(deep), "--yes"),
        ("merge", str(deep)),
        ("undo", str(deep), "--yes"),
    ):
        one_line_error(run(*args))
    with pytest.raises(InputError):
        plan_from_json(DEEP, "deep.json")


@pytest.mark.parametrize("moment", [*EXTREMES, "2025-06-01T00:00:00", "yesterday"])
def test_a_bad_time_in_one_journal_record_is_one_line_and_breaks_no_later_plan(
    tmp_path: Path, moment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "data" / "stalecreds" / "journals"
    folder.mkdir(parents=True)
    journal = folder / "p1.jsonl"
    good = {
        "event": "step-end",
        "time": "2025-05-01T00:00:00+00:00",
        "outcome": "applied",
        "action": "deactivate-access-key",
        "access_key_id": "AKIAGOOD",
        "step_id": "s1",
    }
    records = [
        {"event": "apply-start", "time": "2025-05-01T00:00:00+00:00", "plan_id": "p1"},
        good,
        good | {"time": moment, "access_key_id": "AKIABAD", "step_id": "s2"},
    ]
    journal.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    result = run("undo", str(journal), "--yes")
    assert "line 3: 'time' " in one_line_error(result)
    # A later plan still reads every other deactivation, and does not break.
    assert deactivations(folder) == {"AKIAGOOD": datetime(2025, 5, 1, tzinfo=UTC)}
    planned = run("plan", "--report", str(sample_report(tmp_path)), "--out", str(tmp_path / "p"))
    assert planned.exit_code == 0, planned.output


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "/dev/zero"])
def test_a_journal_that_is_a_device_is_refused(tmp_path: Path, device: str) -> None:
    plan = a_plan_document(tmp_path)
    result = run("apply", str(plan), "--journal", device, "--yes")
    assert f"{device}: is not a regular file" in one_line_error(result)


@pytest.mark.parametrize("moment", EXTREMES)
def test_extreme_times_in_the_history_are_a_history_error(tmp_path: Path, moment: str) -> None:
    path = tmp_path / "history.sqlite"
    with History(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO scans (id, as_of, recorded_at, source) VALUES (1, ?, ?, 'x')",
            (moment, moment),
        )
        db.execute(
            "INSERT INTO observations (scan_id, credential, account_id, user, arn, kind, "
            "access_key_id, status, verdict, finding) VALUES (1, 'c', '1', 'u', 'a', "
            "'access_key', 'AKIA1', 'Inactive', 'unused', 0)"
        )
    db.close()
    with History(path) as history, pytest.raises(HistoryError, match="is outside the years"):
        history.inactive_since()
    result = run("history", "--history", str(path))
    assert "is outside the years" in one_line_error(result)


# --- item 16: endless and huge inputs ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--report", "/dev/zero"),
        ("scan", "--sample", "--config", "/dev/zero"),
        ("apply", "/dev/zero", "--yes"),
        ("undo", "/dev/zero", "--yes"),
        ("merge", "x.json", "/dev/zero"),
        ("scan", "--accounts-file", "/dev/zero"),
    ],
)
def test_endless_inputs_are_refused_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], moto_endpoint: str
) -> None:
    # moto: --accounts-file is read after STS GetCallerIdentity
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    line = one_line_error(run(*args))
    assert "/dev/zero" in line
    assert "larger than" in line or "longer than" in line or "not a regular file" in line


def test_endless_standard_input_is_refused() -> None:
    from stalecreds.files import read_stream_bounded

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"a" * len(buffer)
            return len(buffer)

    with pytest.raises(InputError, match="larger than 64 KiB"):
        read_stream_bounded(io.BufferedReader(Endless()), 64 * 1024, "<stdin>", "a plan")
    line = one_line_error(run("scan", "--report", "-", input=b"," * (3 * 1024 * 1024)))
    assert "<stdin>, line 1: a line longer than 1 MiB" in line


def test_a_regular_file_beyond_the_limit_is_refused_by_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stalecreds.remediate.plan_file as plan_file

    big = tmp_path / "big-plan.json"
    with open(big, "wb") as stream:
        stream.truncate(2048)  # sparse: its size is what is checked
    monkeypatch.setattr(plan_file, "PLAN_MAX_BYTES", 1024)
    with pytest.raises(InputError, match=r"big-plan.json: larger than 1 KiB, the limit for a plan"):
        plan_file.read_plan_file(big)
    huge_journal = tmp_path / "j.jsonl"
    with open(huge_journal, "wb") as stream:
        stream.truncate(65 * 1024 * 1024)
    with pytest.raises(InputError, match="larger than 64 MiB"):
        load_journal(huge_journal)


# --- item 17: merge checks the JSON contract -------------------------------------------------


def merge_input(**credential: Any) -> dict[str, Any]:
    record = {
        "account_id": "111122223333",
        "arn": "arn:aws:iam::111122223333:user/a",
        "user": "a",
        "kind": "password",
        "verdict": "unused",
        "finding": True,
        "created": "2020-01-01T00:00:00+00:00",
    } | credential
    return {
        "schema_version": 1,
        "as_of": AS_OF,
        "max_age_days": {"password": 90, "access_key": 90},
        "credentials": [record],
        "summary": {"users": 1, "credentials": 1, "findings": 1, "cleanup_candidates": 0},
        "warnings": [],
        "warnings_omitted": 0,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": "pwned"}, "credentials[0]: 'verdict' must be one of"),
        ({"created": "not a date"}, "credentials[0]: 'created' must be an ISO 8601 time"),
        ({"created": "0001-01-01T00:00:00+01:00"}, "credentials[0]: 'created' must be an ISO"),
        ({"kind": "ssh_key"}, "credentials[0]: 'kind' must be one of"),
        ({"finding": "yes"}, "credentials[0]: 'finding' must be true or false"),
        ({"status": "Enabled"}, "credentials[0]: 'status' must be one of"),
        ({"days_since_created": "12"}, "credentials[0]: 'days_since_created' must be"),
        ({"finding_rules": ["pwned"]}, "credentials[0]: 'finding_rules' must be a list"),
        ({"user": None}, "credentials[0]: 'user' must be a string"),
    ],
)
def test_merge_refuses_records_that_break_the_contract(
    change: dict[str, Any], message: str
) -> None:
    good = merge_input()
    bad = merge_input(**change)
    with pytest.raises(InputError) as caught:
        merge_documents([("good.json", good), ("bad.json", bad)])
    assert str(caught.value).startswith(f"bad.json: {message}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"as_of": "later"}, "'as_of' is not an ISO 8601 time"),
        ({"max_age_days": {"password": 10**12, "access_key": 90}}, "'max_age_days' must be"),
        ({"summary": {"users": -1}}, "'summary' must hold counts"),
        ({"warnings": ["x"]}, "'warnings' must be a list"),
        ({"credentials": [1]}, "credentials[0]: not a JSON object"),
    ],
)
def test_merge_refuses_documents_that_break_the_contract(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        merge_documents([("bad.json", merge_input() | change)])
    assert str(caught.value).startswith(f"bad.json: {message}")


def test_merge_cli_names_the_file_and_record(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(merge_input()), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(merge_input(verdict="pwned")), encoding="utf-8")
    line = one_line_error(run("merge", str(good), str(bad)))
    assert line.startswith(f"stalecreds: error: {bad}: credentials[0]: 'verdict' must be one of")


# --- item 18: an empty exemption tag ---------------------------------------------------------


@pytest.mark.parametrize("tag", ["", "bad\x1b[2Jtag", "x" * 129])
def test_plan_refuses_an_exemption_tag_iam_cannot_have(tmp_path: Path, tag: str) -> None:
    out = tmp_path / "plan.json"
    result = run("plan", "--exempt-tag", tag, "--out", str(out))
    assert "--exempt-tag" in one_line_error(result)
    assert not out.exists()
    assert "\x1b" not in result.stderr
