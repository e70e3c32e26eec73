"""``stalecreds plan``, ``apply`` and ``undo`` end to end against moto (AWS_ENDPOINT_URL).

Journals go to XDG_DATA_HOME, set to tmp_path: never the user's real data folder. Most plans
use ``--source api``: moto's GenerateCredentialReport first answers STARTED, and the CLI's
report fetch would really wait 0.25 s before asking again.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.journal import read_journal
from stalecreds.plan import Caller
from stalecreds.plan_file import plan_from_json, plan_to_json
from stalecreds.remediation import Action
from tests.conftest import FAKE_ACCESS_KEY_ID, MOTO_ACCOUNT_ID
from tests.test_apply import CALLER, Account, key_status, login_profile, step_id


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def account(iam: Any, data_home: Path) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


def make_plan(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "plan.json"
    result = run("plan", "--source", "api", "--out", str(out), *args)
    assert result.exit_code == 0, result.stderr
    return out


def write_plan(account: Account, tmp_path: Path) -> Path:
    """The plan ``stalecreds plan`` makes of the account, written here (faster than the CLI)."""
    out = tmp_path / "plan.json"
    plan = account.plan(caller=CALLER)._replace(plan_id="20250601T000000Z-0123abcd")
    out.write_text(plan_to_json(plan), encoding="utf-8")
    return out


def journal_of(data_home: Path, plan_path: Path) -> Path:
    plan_id = json.loads(plan_path.read_text(encoding="utf-8"))["plan_id"]
    return data_home / "stalecreds" / "journals" / f"{plan_id}.jsonl"


def edit(plan_path: Path, **fields: Any) -> None:
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data.update(fields)
    plan_path.write_text(json.dumps(data), encoding="utf-8")


def nothing_changed(iam: Any, account: Account) -> None:
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "never-key", account.never_key) == "Active"
    assert key_status(iam, "old-inactive", account.old_inactive) == "Inactive"
    assert login_profile(iam, "stale-pw") is not None


# --- plan -------------------------------------------------------------------------------------


def test_plan_writes_a_valid_plan(account, tmp_path):
    out = tmp_path / "plan.json"
    before = datetime.now(UTC).replace(microsecond=0)
    result = run("plan", "--out", str(out))  # the credential report path, re-checked live
    assert result.exit_code == 0, result.stderr
    plan = plan_from_json(out.read_text(encoding="utf-8"), str(out))
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", plan.plan_id)
    assert before <= plan.created <= datetime.now(UTC)
    assert plan.account_id == MOTO_ACCOUNT_ID
    assert (
        plan.caller
        == CALLER
        == Caller("arn:aws:sts::123456789012:user/moto", MOTO_ACCOUNT_ID, FAKE_ACCESS_KEY_ID)
    )
    assert [s.step_id for s in plan.steps] == [
        step_id("stale-pw", "password", Action.DELETE_LOGIN_PROFILE),
        step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY),
        step_id("never-key", account.never_key, Action.DEACTIVATE_ACCESS_KEY),
        step_id("old-inactive", account.old_inactive, Action.DELETE_ACCESS_KEY),
    ]
    assert (
        f"stalecreds: wrote the plan to {out}; review it, then: stalecreds apply {out}\n"
        in result.stderr
    )
    assert "Steps (4)" in result.stdout
    assert (
        "2 deactivate-access-key, 1 delete-access-key, 1 delete-login-profile; 0 not in the plan"
        in result.stdout
    )
    nothing_changed(account.iam, account)


def test_plan_policy_options(account, tmp_path):
    out = make_plan(
        tmp_path,
        "--key-action",
        "delete",
        "--password-action",
        "reset",
        "--quarantine-days",
        "400",
    )
    plan = plan_from_json(out.read_text(encoding="utf-8"), str(out))
    assert [(s.user, s.action) for s in plan.steps] == [
        ("stale-pw", Action.RESET_LOGIN_PROFILE),
        ("stale-key", Action.DELETE_ACCESS_KEY),
        ("never-key", Action.DELETE_ACCESS_KEY),
    ]
    since = (account.now - timedelta(days=300)).date().isoformat()
    assert [(e.user, e.reason) for e in plan.excluded] == [
        (
            "old-inactive",
            f"inactive and unused since {since}: deleted once it has been inactive for 400 days",
        )
    ]


def test_plan_reads_the_quarantine_clock_from_earlier_journals(account, tmp_path, data_home):
    deactivated = account.now - timedelta(days=10)
    folder = data_home / "stalecreds" / "journals"
    folder.mkdir(parents=True)
    (folder / "earlier.jsonl").write_text(
        json.dumps(
            {
                "event": "step-end",
                "time": deactivated.isoformat(),
                "step_id": step_id(
                    "old-inactive", account.old_inactive, Action.DEACTIVATE_ACCESS_KEY
                ),
                "user": "old-inactive",
                "access_key_id": account.old_inactive,
                "action": "deactivate-access-key",
                "outcome": "applied",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    out = make_plan(tmp_path)
    plan = plan_from_json(out.read_text(encoding="utf-8"), str(out))
    assert "old-inactive" not in [s.user for s in plan.steps]
    assert [(e.user, e.reason) for e in plan.excluded] == [
        (
            "old-inactive",
            f"inactive and unused since {deactivated.date().isoformat()}: deleted once it has "
            "been inactive for 30 days",
        )
    ]


# --- apply ------------------------------------------------------------------------------------


def test_apply_yes_applies_and_names_the_journal(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 0, result.stderr
    journal = journal_of(data_home, plan_path)
    assert result.stderr == (
        f"stalecreds: journal: {journal}\nstalecreds: undo with: stalecreds undo {journal}\n"
    )
    assert "4 applied" in result.stdout
    iam = account.iam
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    assert key_status(iam, "never-key", account.never_key) == "Inactive"
    assert iam.list_access_keys(UserName="old-inactive")["AccessKeyMetadata"] == []
    assert login_profile(iam, "stale-pw") is None
    records = read_journal(journal)
    plan_id = journal.stem
    assert {k: v for k, v in records[0].items() if k != "time"} == {
        "event": "apply-start",
        "plan_id": plan_id,
        "caller": CALLER.arn,
    }
    assert [r["outcome"] for r in records if r["event"] == "step-end"] == ["applied"] * 4


def test_apply_with_an_explicit_journal(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    journal = tmp_path / "my-journal.jsonl"
    result = run("apply", str(plan_path), "--yes", "--journal", str(journal))
    assert result.exit_code == 0, result.stderr
    assert f"stalecreds: journal: {journal}\n" in result.stderr
    assert len(read_journal(journal)) == 9  # apply-start, then a start and an end per step
    assert not (data_home / "stalecreds" / "journals").exists()


def test_apply_without_yes_and_without_a_terminal_exits_2(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    result = run("apply", str(plan_path))
    assert result.exit_code == 2
    assert result.stderr == (
        "stalecreds: error: no terminal to confirm on: pass --yes to proceed without a prompt\n"
    )
    nothing_changed(account.iam, account)
    assert not journal_of(data_home, plan_path).exists()


def test_apply_dry_run_changes_nothing(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    result = run("apply", str(plan_path), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "4 would-apply" in result.stdout
    assert result.stderr == ""
    nothing_changed(account.iam, account)
    assert not journal_of(data_home, plan_path).exists()


def test_apply_refuses_a_plan_older_than_max_plan_age(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=25)
    edit(plan_path, created=created.isoformat())
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: the plan was made 25 hours ago ({created.isoformat()}), more than "
        "--max-plan-age allows (24 h); make a new plan\n"
    )
    nothing_changed(account.iam, account)
    # A longer --max-plan-age accepts a plan that old, when its times agree with each other
    # (judged when made, windows 90 days before that): move them together.
    document = json.loads(plan_path.read_text(encoding="utf-8"))
    document["as_of"] = created.isoformat()
    for step in document["steps"]:
        step["expect"]["unused_before"] = (created - timedelta(days=90)).isoformat()
    plan_path.write_text(json.dumps(document), encoding="utf-8")
    result = run("apply", str(plan_path), "--yes", "--max-plan-age", "48")
    assert result.exit_code == 0, result.stderr
    assert key_status(account.iam, "stale-key", account.stale_key) == "Inactive"


def test_apply_refuses_a_plan_for_another_account(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    edit(plan_path, account_id="111122223333")
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 2
    # Only the plan's account was edited: its steps still name the moto account.
    assert result.stderr == (
        "stalecreds: error: the plan is for account 111122223333 but has steps for account "
        "123456789012; was it edited?\n"
    )
    nothing_changed(account.iam, account)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json\n", "line 1, column 1: not valid JSON: Expecting value"),
        ('{"plan_version": 2}', "plan: plan_version 2 is not supported (this is 1)"),
    ],
)
def test_a_malformed_plan_file_exits_2_with_one_line(
    moto_endpoint, data_home, tmp_path, text, message
):
    plan_path = tmp_path / "bad-plan.json"
    plan_path.write_text(text, encoding="utf-8")
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 2
    separator = ", " if message.startswith("line") else ": "
    assert result.stderr == f"stalecreds: error: {plan_path}{separator}{message}\n"
    assert result.stdout == ""


def test_a_failed_step_exits_3(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data["steps"][1]["user"] = "ghost"  # moto: ListAccessKeys answers NoSuchEntity
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 3
    assert "1 failed" in result.stdout
    assert "3 applied" in result.stdout
    assert key_status(account.iam, "stale-key", account.stale_key) == "Active"
    assert key_status(account.iam, "never-key", account.never_key) == "Inactive"


def test_a_plan_without_steps_needs_no_confirmation(moto_endpoint, data_home, tmp_path):
    out = tmp_path / "plan.json"
    assert run("plan", "--source", "api", "--out", str(out)).exit_code == 0
    result = run("apply", str(out))
    assert result.exit_code == 0, result.stderr
    assert "No steps" not in result.stderr
    assert result.stderr == ""
    assert not (data_home / "stalecreds").exists()


# --- undo -------------------------------------------------------------------------------------


def test_undo_yes_reactivates(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    result = run("undo", str(journal), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "2 reactivated · 2 cannot-undo" in result.stdout
    assert key_status(account.iam, "stale-key", account.stale_key) == "Active"
    assert key_status(account.iam, "never-key", account.never_key) == "Active"
    assert [r["outcome"] for r in read_journal(journal) if r["event"] == "undo-end"] == [
        "reactivated",
        "reactivated",
    ]


def test_undo_of_only_undone_steps_has_nothing_to_do(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data["steps"] = [s for s in data["steps"] if s["action"] == "deactivate-access-key"]
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    assert run("undo", str(journal), "--yes").exit_code == 0
    result = run("undo", str(journal))  # no --yes needed: nothing to confirm
    assert result.exit_code == 0
    assert result.stdout == (
        "stalecreds: nothing in this journal was applied, or all of it is undone\n"
    )


def test_undo_without_yes_and_without_a_terminal_exits_2(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    result = run("undo", str(journal))
    assert result.exit_code == 2
    assert result.stderr == (
        "stalecreds: error: no terminal to confirm on: pass --yes to proceed without a prompt\n"
    )
    assert key_status(account.iam, "stale-key", account.stale_key) == "Inactive"


def test_undo_recreate_login_profile_needs_a_terminal(moto_endpoint, data_home, tmp_path):
    journal = tmp_path / "j.jsonl"
    journal.write_text("", encoding="utf-8")
    result = run("undo", str(journal), "--yes", "--recreate-login-profile")
    assert result.exit_code == 2
    assert result.stderr == (
        "stalecreds: error: --recreate-login-profile prints one-time passwords and needs a "
        "terminal\n"
    )


def test_undo_of_a_damaged_journal_exits_2_naming_the_line(moto_endpoint, data_home, tmp_path):
    journal = tmp_path / "j.jsonl"
    journal.write_text('{"event": "apply-start"}\n{oops\n{"event": "step-end"}\n', encoding="utf-8")
    result = run("undo", str(journal), "--yes")
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {journal}, line 2: not a journal line: "
        "Expecting property name enclosed in double quotes\n"
    )
