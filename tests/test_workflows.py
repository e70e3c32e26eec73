"""The library API (stalecreds.workflows) from plain Python, no CLI: scans of a live account, an
Organization, a folder, a report file and a stream against moto on 127.0.0.1; plan, apply and
undo; the history; requests that contradict themselves; observers; and what ``import
stalecreds`` loads.

Verdicts are worked out by hand from the seeded dates (90-day windows, as of :data:`AS_OF`).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import stalecreds
from stalecreds.accounts.selection import Account
from stalecreds.errors import InputError, RequestError
from stalecreds.formats.json import render_json
from stalecreds.workflows import (
    ApplyRequest,
    HistoryRequest,
    PlanRequest,
    QuietObserver,
    ScanRequest,
    UndoRequest,
    apply_plan,
    make_plan,
    prepare_apply,
    read_history,
    record_scan,
    run_scan,
    undo_apply,
)
from tests.conftest import ROOT, SeedKey, report, report_row, seed_user
from tests.org_helpers import MANAGEMENT, Organization, member_iam, new_session, seed_member_user

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def days(n: float) -> datetime:
    return AS_OF - timedelta(days=n)


def verdicts(result: Any) -> set[tuple[str, str, str, bool]]:
    return {(a.owner.account_id, a.owner.user, a.verdict.value, a.finding) for a in result}


class Recorder(QuietObserver):
    """Every hook call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def report_waiting(self, state: str) -> None:
        self.calls.append(("waiting", state))

    def accounts_started(self, total: int) -> None:
        self.calls.append(("started", total))

    def account_done(self, account: Account, ok: bool) -> None:
        self.calls.append(("done", account.account_id or account.name, ok))

    def accounts_finished(self) -> None:
        self.calls.append(("finished",))


# --- a live account -------------------------------------------------------------------------


@pytest.fixture
def account(iam: Any) -> dict[str, str]:
    """The caller's account (moto's default): a stale key, a fresh password, a never-used key."""
    (stale,) = seed_user(
        iam, "stale", created=days(500), keys=(SeedKey(days(400), days(200), service="s3"),)
    )
    seed_user(iam, "fresh", created=days(400), password=True, password_used=days(3))
    (never,) = seed_user(iam, "never", created=days(300), keys=(SeedKey(days(300)),))
    return {"stale": stale, "never": never}


def test_a_live_account_scan_from_the_library(account, capsys):
    observer = Recorder()
    with run_scan(ScanRequest(as_of=AS_OF), observer) as result:
        found = verdicts(result)
        ids = {a.owner.user: getattr(a.credential, "access_key_id", None) for a in result}

    assert found == {
        (MANAGEMENT, "stale", "unused", True),
        (MANAGEMENT, "fresh", "in_use", False),
        (MANAGEMENT, "never", "never_used", True),
    }
    assert ids["stale"] == account["stale"]
    assert result.summary.findings == 2
    # moto generates the report on the first call: the wait is told once per state, no more.
    waits = [call for call in observer.calls if call[0] == "waiting"]
    assert waits == sorted(set(waits), key=waits.index)
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_a_live_api_scan_with_exemptions_from_the_library(account, tmp_path):
    config = tmp_path / "exempt.toml"
    config.write_text('[[exempt]]\nuser = "stale"\nreason = "break glass"\n', encoding="utf-8")
    request = ScanRequest(as_of=AS_OF, source="api", config_path=config)
    with run_scan(request) as result:
        exempt = {a.owner.user: (a.exemption, a.finding) for a in result if a.exemption}

    assert exempt == {"stale": ("break glass (config: user = 'stale')", False)}
    assert result.source.format == "iam-api"


# --- an Organization ------------------------------------------------------------------------


def test_an_organization_scan_of_one_ou_from_the_library(moto_endpoint):
    session = new_session()
    org = Organization(session)
    unit = org.add_ou("workloads")
    prod = org.add_account("prod", ou=unit)
    dev = org.add_account("dev", ou=unit)
    other = org.add_account("sandbox")
    seed_member_user(
        member_iam(session, prod), prod, "old", created=days(500), password=True,
        password_used=days(150),
    )  # fmt: skip
    seed_member_user(
        member_iam(session, dev), dev, "new", created=days(5), keys=(SeedKey(days(5)),)
    )
    seed_member_user(
        member_iam(session, other), other, "elsewhere", created=days(500), password=True
    )
    observer = Recorder()

    with run_scan(ScanRequest(org=True, ous=(unit,), as_of=AS_OF), observer) as result:
        found = verdicts(result)

    assert found == {(prod, "old", "unused", True), (dev, "new", "new", False)}
    assert result.source.name == f"organization (OUs {unit}): 2 accounts"
    assert [o.account.name for o in result.outcomes] == [
        name for _, name in sorted([(prod, "prod"), (dev, "dev")])
    ]
    assert result.failures == ()
    assert observer.calls[0] == ("started", 2)
    assert sorted(observer.calls[1:3]) == sorted([("done", prod, True), ("done", dev, True)])
    assert observer.calls[3:] == [("finished",)]


def test_excluding_every_account_is_a_request_error(moto_endpoint):
    org = Organization(new_session())
    only = org.add_account("only")
    request = ScanRequest(org=True, exclude_accounts=(only, MANAGEMENT), as_of=AS_OF)

    with pytest.raises(RequestError) as caught, run_scan(request):
        pass
    assert str(caught.value) == "no accounts to scan (after --exclude-account)"


# --- report files, folders, streams ---------------------------------------------------------

KEY_ROW = report_row(
    user="svc",
    arn="arn:aws:iam::111122223333:user/svc",
    access_key_1_active="true",
    access_key_1_last_rotated="2024-01-01T00:00:00+00:00",
)


def test_an_organization_scan_that_finds_no_account_names_the_cause(moto_endpoint):
    # An OU with no account in it: the organization lists no ACTIVE account to scan there, and
    # the error says so (it used to blame an --exclude-account that was never given).
    org = Organization(new_session())
    empty_ou = org.add_ou("empty")
    request = ScanRequest(org=True, ous=(empty_ou,), as_of=AS_OF)

    with pytest.raises(RequestError) as caught, run_scan(request):
        pass
    assert str(caught.value) == (
        f"no accounts to scan: the organization has no ACTIVE accounts under OUs {empty_ou}"
    )


def test_a_folder_scan_from_the_library(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "a.csv").write_text(report(KEY_ROW), encoding="utf-8")
    (folder / "b.csv").write_text(
        report(report_row(user="ok", arn="arn:aws:iam::444455556666:user/ok")), encoding="utf-8"
    )
    (folder / "c.csv").write_text("not a report\n", encoding="utf-8")
    observer = Recorder()

    with run_scan(ScanRequest(report=folder, as_of=AS_OF, max_workers=2), observer) as result:
        found = verdicts(result)

    assert found == {("111122223333", "svc", "never_used", True)}
    assert result.source.name == f"{folder} (3 reports)"
    assert [(o.account.name, o.failure.code) for o in result.failures] == [
        (str(folder / "c.csv"), "ReportFormatError")
    ]
    assert observer.calls[0] == ("started", 3) and observer.calls[-1] == ("finished",)


def test_a_report_file_and_a_stream_give_the_same_result(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(report(KEY_ROW), encoding="utf-8")

    def rendered(request: ScanRequest) -> dict[str, Any]:
        out = io.StringIO()
        with run_scan(request) as result:
            render_json(result, out)
        return json.loads(out.getvalue())

    from_file = rendered(ScanRequest(report=path, as_of=AS_OF))
    with path.open("rb") as stream:
        from_stream = rendered(ScanRequest(report=stream, report_name="r.csv", as_of=AS_OF))

    assert from_file["credentials"] == from_stream["credentials"]
    assert from_file["summary"]["findings"] == 1
    assert from_stream["source"]["file"] == "r.csv"


def test_a_missing_report_is_an_input_error(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(InputError) as caught, run_scan(ScanRequest(report=missing)):
        pass
    assert str(caught.value) == f"{missing}: No such file or directory"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ScanRequest(sample=True, report="x.csv"), "give either --report or --sample, not both"),
        (ScanRequest(sample=True, source="api"), "--source needs a live scan"),
        (ScanRequest(report="x.csv", org=True), "--org, --ou, --accounts and several --profile"),
        (ScanRequest(ous=("ou-1",)), "--ou needs --org"),
        (ScanRequest(org=True, accounts=("111122223333",)), "give either --org or --accounts"),
        (ScanRequest(shard="1/2"), "--shard splits the accounts"),
        (ScanRequest(org=True, shard="3/2"), "--shard 3/2: K must be between 1 and N"),
        (ScanRequest(source="apis"), "--source must be report or api, not 'apis'"),
        (ScanRequest(recheck="never"), "--recheck must be auto or always"),
        (ScanRequest(org=True, max_workers=0), "--max-workers must be 1 to 64"),
        (ScanRequest(report_timeout=0.5), "--report-timeout must be at least 1 second"),
        (ScanRequest(as_of=datetime(2025, 1, 1)), "as_of must be an aware datetime"),
    ],
)
def test_a_request_that_contradicts_itself_is_refused_before_any_call(request_, message):
    with pytest.raises(RequestError) as caught:
        request_.check()
    assert str(caught.value).startswith(message)
    with pytest.raises(RequestError), run_scan(request_):
        pass


def test_an_option_given_explicitly_at_its_default_is_refused_on_a_report_scan():
    ScanRequest(sample=True, source="report").check()  # a library default is no contradiction
    with pytest.raises(RequestError) as caught:
        ScanRequest(sample=True, source="report").check(explicit={"source"})
    assert str(caught.value) == (
        "--source needs a live scan (it does nothing with --report or --sample)"
    )


# --- plan, apply, undo, history -------------------------------------------------------------


def test_plan_apply_and_undo_from_the_library(account, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    planned = make_plan(PlanRequest(ScanRequest(as_of=AS_OF)))
    plan = planned.plan
    assert sorted((s.user, s.action.value) for s in plan.steps) == [
        ("never", "deactivate-access-key"),
        ("stale", "deactivate-access-key"),
    ]
    assert plan.caller is not None and plan.caller.account_id == MANAGEMENT

    rehearsal = apply_plan(ApplyRequest(plan, dry_run=True))
    assert {r.outcome.value for r in rehearsal.results} == {"would-apply"}
    assert rehearsal.journal is None

    journal = tmp_path / "journal.jsonl"
    prepared = prepare_apply(ApplyRequest(plan, journal=journal))
    assert prepared.caller.account_id == MANAGEMENT and prepared.torn_lines == ()
    applied = apply_plan(prepared)
    assert [r.outcome.value for r in applied.results] == ["applied", "applied"]
    assert (applied.journal, applied.changed, applied.failed) == (journal, True, False)

    undone = undo_apply(UndoRequest(journal))
    assert [r.outcome.value for r in undone.results] == ["reactivated", "reactivated"]
    assert not undone.failed
    assert undo_apply(UndoRequest(journal)).results == []  # nothing left to undo


def test_history_from_the_library(tmp_path):
    database = tmp_path / "history.db"
    with run_scan(ScanRequest(sample=True)) as result:
        collected = result.collect()
    scan_id = record_scan(collected, database)

    view = read_history(HistoryRequest(database))
    assert scan_id == 1
    assert {s.scan_id for s in view.scans} == {1}
    assert sum(s.findings for s in view.scans) == collected.summary.findings
    assert len(view.credentials) == collected.summary.credentials


# --- what the library loads -----------------------------------------------------------------

_PROBE = """
import sys
import stalecreds
loaded = {"import": sorted(m for m in ("click", "rich", "boto3") if m in sys.modules)}
from stalecreds import ScanRequest, run_scan
with run_scan(ScanRequest(report=sys.argv[1])) as result:
    findings = sum(1 for a in result if a.finding)
loaded["scan"] = sorted(m for m in ("click", "rich", "boto3") if m in sys.modules)
loaded["findings"] = findings
print(__import__("json").dumps(loaded))
"""


def test_import_and_a_report_scan_load_neither_click_rich_nor_boto3(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(report(KEY_ROW), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert json.loads(done.stdout) == {"import": [], "scan": [], "findings": 1}
    assert done.stderr == ""


def test_the_facade_exports_the_workflows():
    assert stalecreds.run_scan is run_scan
    assert stalecreds.ScanRequest is ScanRequest
    assert {"make_plan", "apply_plan", "undo_apply", "read_history"} <= set(stalecreds.__all__)
    with pytest.raises(AttributeError):
        _ = stalecreds.no_such_name  # type: ignore[attr-defined]


def test_a_path_object_names_the_file_like_a_string(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(report(KEY_ROW), encoding="utf-8")
    with run_scan(ScanRequest(report=Path(path), as_of=AS_OF)) as result:
        assert result.source.name == str(path)
        assert [a.finding for a in result] == [True]


# --- errors: one tree, one exit code each -----------------------------------------------------


def test_a_missing_profile_is_a_config_error_and_exit_2(tmp_path):
    from click.testing import CliRunner

    from stalecreds.cli import main
    from stalecreds.errors import ConfigError, StalecredsError

    with pytest.raises(ConfigError) as caught, run_scan(ScanRequest(profiles=("nope",))):
        pass
    assert isinstance(caught.value, StalecredsError)
    assert str(caught.value) == "AWS profile not found: nope"
    result = CliRunner().invoke(main, ["scan", "--profile", "nope"])
    assert (result.exit_code, result.stderr) == (
        2,
        "stalecreds: error: AWS profile not found: nope\n",
    )


def test_no_history_yet_is_a_history_error_and_the_cli_says_so_calmly(tmp_path):
    from click.testing import CliRunner

    from stalecreds.cli import main
    from stalecreds.errors import HistoryError

    missing = tmp_path / "none.db"
    with pytest.raises(HistoryError) as caught:
        read_history(HistoryRequest(missing))
    message = f"{missing}: no history yet; record scans with 'scan --history'"
    assert str(caught.value) == message
    # Issue 12 item 7: on the command line, no recorded scan yet is a normal state: one line,
    # exit 0 (it was an error, exit 2).
    result = CliRunner().invoke(main, ["history", "--history", str(missing)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        f"no scans recorded yet in {missing}; record one with 'stalecreds scan --history'\n"
    )


def test_every_error_class_is_in_the_tree():
    from stalecreds import errors
    from stalecreds.remediate.apply import PlanRefused as FromApply
    from stalecreds.remediate.plan_file import PlanFormatError

    assert FromApply is errors.PlanRefused  # still importable from where it was
    assert issubclass(errors.PlanRefused, errors.PlanError)
    assert issubclass(PlanFormatError, errors.InputError)
    for name in ("RequestError", "ConfigError", "InputError", "PlanError", "HistoryError"):
        assert getattr(errors, name).__bases__ == (errors.StalecredsError,)
    assert errors.AwsError.__bases__ == (errors.StalecredsError,)
