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
from stalecreds.model import Caller
from stalecreds.remediate.actions import Action
from stalecreds.remediate.journal import read_journal
from stalecreds.remediate.plan_file import plan_from_json, plan_to_json
from tests.conftest import FAKE_ACCESS_KEY_ID, MOTO_ACCOUNT_ID
from tests.test_apply import CALLER, Account, key_status, login_profile, step_id
from tests.test_remediate_policy import (  # noqa: F401 - user_resources is a fixture
    Remediator,
    iam_auth_enforced,
    user_resources,
    without,
)


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


@pytest.mark.usefixtures("user_resources")
def test_a_failed_step_exits_3(account, tmp_path, moto_endpoint, boto_session, monkeypatch):
    # Apply as a user whose policy lacks iam:UpdateAccessKey (moto enforcing IAM policies):
    # both deactivations fail, the other steps are applied.
    plan_path = write_plan(account, tmp_path)
    remediator = Remediator(account.iam, boto_session, without("iam:UpdateAccessKey"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", remediator.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", remediator.secret)
    with iam_auth_enforced(moto_endpoint):
        result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 3
    assert "2 applied · 2 failed" in result.stdout
    assert key_status(account.iam, "stale-key", account.stale_key) == "Active"
    assert login_profile(account.iam, "stale-pw") is None


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
        f"stalecreds: error: {journal}, line 2, column 2: not a journal line: "
        "Expecting property name enclosed in double quotes\n"
    )


# --- the journal of another plan, or no journal at all ----------------------------------------


def test_apply_refuses_the_journal_of_another_plan(account, tmp_path, data_home):
    # Step IDs repeat across plans: plan 1's journal would make plan 2's steps look done.
    plan_path = write_plan(account, tmp_path)
    journal = tmp_path / "shared.jsonl"
    assert run("apply", str(plan_path), "--yes", "--journal", str(journal)).exit_code == 0
    iam = account.iam
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Active")
    edit(plan_path, plan_id="20250602T000000Z-99999999")
    before = journal.read_text(encoding="utf-8")
    result = run("apply", str(plan_path), "--yes", "--journal", str(journal))
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {journal}: this journal is of plan 20250601T000000Z-0123abcd, not "
        "of plan 20250602T000000Z-99999999; apply with the plan's own journal (leave out "
        "--journal) or a new file\n"
    )
    assert result.stdout == ""
    assert journal.read_text(encoding="utf-8") == before
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    # Its own (default) journal is new: the step is applied.
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\n", "line 1, column 1: not a journal line: Expecting value"),
        ("hello", "line 1: not a journal record"),
        ('{"event": "undo-end"}\n', "not a stalecreds journal (it begins with 'undo-end', not "),
    ],
)
def test_apply_refuses_a_file_that_is_not_a_journal(account, tmp_path, text, message):
    plan_path = write_plan(account, tmp_path)
    journal = tmp_path / "j.jsonl"
    journal.write_text(text, encoding="utf-8")
    for extra in ((), ("--dry-run",)):
        result = run("apply", str(plan_path), "--yes", "--journal", str(journal), *extra)
        assert result.exit_code == 2
        separator = ", " if message.startswith("line") else ": "
        assert result.stderr.startswith(f"stalecreds: error: {journal}{separator}{message}")
        assert result.stdout == ""
    assert journal.read_text(encoding="utf-8") == text
    nothing_changed(account.iam, account)


# --- a journal cut short by a crash -----------------------------------------------------------


def _cut_last_record(journal: Path, keep: int = 60) -> int:
    """Cut the journal's last record to ``keep`` bytes, no newline; its line number."""
    data = journal.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    journal.write_bytes(data[: start + keep])
    return data[:start].count(b"\n") + 1


def test_a_torn_journal_can_be_applied_again_and_undone(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    line = _cut_last_record(journal)  # old-inactive's step-end: only its step-start remains
    assert line == 9
    warning = (
        f"stalecreds: warning: {journal}, line 9: a record cut short by an interrupted run (its "
        "write did not finish); ignored, and live IAM is re-checked for the step it was about\n"
    )
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(warning)
    assert "4 already-done" in result.stdout
    # The next record starts on a fresh line; the piece is kept in a torn-write record.
    lines = journal.read_text(encoding="utf-8").splitlines()
    records = [json.loads(text) for text in lines]
    assert [r["event"] for r in records[8:]] == [
        "torn-write",
        "apply-start",
        "step-end",
    ]
    assert (records[8]["line"], len(records[8]["fragment"])) == (9, 60)
    assert records[-1]["outcome"] == "already-done"
    result = run("undo", str(journal), "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert "2 reactivated · 2 cannot-undo" in result.stdout
    assert key_status(account.iam, "stale-key", account.stale_key) == "Active"


def test_undo_of_a_journal_cut_mid_step_reactivates(account, tmp_path, data_home):
    # Cut inside never-key's step-end: the call was made, its result never written. Undo must
    # not pass over the step: it checks IAM and reactivates the key.
    plan_path = write_plan(account, tmp_path)
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data["steps"] = [s for s in data["steps"] if s["action"] == "deactivate-access-key"]
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    _cut_last_record(journal, keep=30)
    result = run("undo", str(journal), "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"stalecreds: warning: {journal}, line 5: a record cut short")
    assert "2 reactivated" in result.stdout
    assert key_status(account.iam, "never-key", account.never_key) == "Active"
    assert key_status(account.iam, "stale-key", account.stale_key) == "Active"


def test_a_journal_an_earlier_version_glued_together_can_be_undone(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    _cut_last_record(journal)
    # What earlier versions appended: the next apply-start straight onto the torn piece.
    with journal.open("a", encoding="utf-8") as file:
        file.write(json.dumps({"event": "apply-start", "plan_id": journal.stem}) + "\n")
    result = run("undo", str(journal), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "line 9: a record cut short" in result.stderr
    assert "2 reactivated · 2 cannot-undo" in result.stdout


# --- an edited plan ---------------------------------------------------------------------------


def test_dry_run_of_a_plan_edited_to_act_on_an_exempt_user_skips_it(account, tmp_path):
    from tests.conftest import SeedKey, seed_user

    (key_id,) = seed_user(
        account.iam,
        "break-glass",
        created=account.now - timedelta(days=400),
        keys=(SeedKey(account.now - timedelta(days=400)),),
        tags={"stalecreds:exempt": "emergency access"},
    )
    plan_path = write_plan(account, tmp_path)
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    step = data["steps"][1]
    step.update(
        user="break-glass",
        arn=f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/break-glass",
        access_key_id=key_id,
        step_id=step_id("break-glass", key_id, Action.DEACTIVATE_ACCESS_KEY),
    )
    data["steps"] = [step]
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    result = run("apply", str(plan_path), "--dry-run")
    assert result.exit_code == 0, result.stderr
    # The detail wraps in the table: "user break-glass is exempt now: tag stalecreds:exempt =
    # 'emergency access'".
    assert "user break-glass is exempt now: tag stalecreds:exempt" in result.stdout
    assert "= 'emergency access'" in result.stdout
    assert "1 skipped" in result.stdout
    assert "would-apply" not in result.stdout


def test_a_plan_edited_to_delete_an_active_key_is_refused(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    step = data["steps"][1]
    step["action"] = "delete-access-key"
    step["step_id"] = step_id("stale-key", account.stale_key, Action.DELETE_ACCESS_KEY)
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    result = run("apply", str(plan_path), "--dry-run")
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: step {step['step_id']}: delete-access-key for an Active access key "
        "is not what the plan's policy gives (key_action deactivate, password_action delete); "
        "was it edited?\n"
    )
    nothing_changed(account.iam, account)


# --- messages ---------------------------------------------------------------------------------


def test_max_plan_age_must_be_more_than_zero(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    result = run("apply", str(plan_path), "--yes", "--max-plan-age", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--max-plan-age': 0.0 is not in the range x>0." in result.stderr
    nothing_changed(account.iam, account)


def test_a_plan_older_than_a_sub_hour_max_age_says_minutes(account, tmp_path):
    plan_path = write_plan(account, tmp_path)
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=40)
    document = json.loads(plan_path.read_text(encoding="utf-8"))
    document["created"] = document["as_of"] = created.isoformat()
    for step in document["steps"]:
        step["expect"]["unused_before"] = (created - timedelta(days=90)).isoformat()
    plan_path.write_text(json.dumps(document), encoding="utf-8")
    result = run("apply", str(plan_path), "--yes", "--max-plan-age", "0.5")
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: the plan was made 40 minutes ago ({created.isoformat()}), more "
        "than --max-plan-age allows (0.5 h); make a new plan\n"
    )


def test_no_undo_hint_when_nothing_was_applied(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    iam = account.iam
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    data = json.loads(plan_path.read_text(encoding="utf-8"))
    data["steps"] = [data["steps"][1]]
    plan_path.write_text(json.dumps(data), encoding="utf-8")
    result = run("apply", str(plan_path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "1 skipped" in result.stdout
    assert result.stderr == f"stalecreds: journal: {journal_of(data_home, plan_path)}\n"


def test_counts_in_messages_are_singular_for_one():
    from stalecreds.wording import plural

    assert [plural(n, "applied step") for n in (0, 1, 2)] == [
        "0 applied steps",
        "1 applied step",
        "2 applied steps",
    ]
    assert plural(1, "account") == "1 account"
    assert plural(1200, "account") == "1,200 accounts"
