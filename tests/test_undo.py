"""Undoing an apply from its journal (moto over HTTP): reactivate keys, say what cannot be undone.

The account, plan and apply come from tests/test_apply.py's helpers; undo appends to the same
journal file under tmp_path. No test really sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import Outcome
from stalecreds.remediate.journal import Journal, read_journal
from stalecreds.remediate.plan import PlanPolicy
from stalecreds.remediate.undo import UndoOutcome, UndoResult, applied_steps, undo
from tests.conftest import MOTO_ACCOUNT_ID
from tests.remediation_faults import CallLog, fail_first
from tests.test_apply import Account, Run, key_status, login_profile, only

CANNOT_DELETED_KEY = "a deleted access key cannot be restored; create a new one"
CANNOT_DELETED_PASSWORD = (
    "a deleted password cannot be restored; --recreate-login-profile sets a new one"
)
CANNOT_RESET_PASSWORD = "the old password is unknown to IAM; an administrator can set a new one"


@pytest.fixture
def account(iam: Any) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "journals" / "test-plan.jsonl"


class Undo:
    """Run undo over the journal file, appending to it, with a recording fake sleep."""

    def __init__(self, iam: Any, journal_path) -> None:
        self.iam = iam
        self.journal_path = journal_path
        self.sleeps: list[float] = []

    def __call__(self, *, recreate: bool = False) -> list[UndoResult]:
        records = read_journal(self.journal_path)
        with Journal(self.journal_path) as journal:
            return undo(
                records,
                self.iam,
                journal,
                recreate_login_profile=recreate,
                sleep=self.sleeps.append,
            )


def summary(results: list[UndoResult]) -> list[tuple[str, UndoOutcome, str]]:
    return [(r.record["user"], r.outcome, r.detail) for r in results]


def undo_events(path) -> list[tuple[str, str, str | None]]:
    return [
        (r["event"], r["user"], r.get("outcome"))
        for r in read_journal(path)
        if r["event"].startswith("undo-")
    ]


def applied(account: Account, iam: Any, journal_path, *users: str, policy=PlanPolicy()):  # noqa: B008
    plan = account.plan(policy)
    if users:
        plan = only(plan, *users)
    results = Run(iam, journal_path).apply(plan)
    assert {r.outcome for r in results} == {Outcome.APPLIED}
    return plan


# --- reactivating -----------------------------------------------------------------------------


def test_undo_reactivates_deactivated_keys(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key", "never-key")
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    run = Undo(iam, journal_path)
    results = run()
    assert summary(results) == [
        ("stale-key", UndoOutcome.REACTIVATED, "access key reactivated"),
        ("never-key", UndoOutcome.REACTIVATED, "access key reactivated"),
    ]
    assert [r.one_time_password for r in results] == [None, None]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "never-key", account.never_key) == "Active"
    assert undo_events(journal_path) == [
        ("undo-start", "stale-key", None),
        ("undo-end", "stale-key", "reactivated"),
        ("undo-start", "never-key", None),
        ("undo-end", "never-key", "reactivated"),
    ]
    assert run.sleeps == []


def test_what_cannot_be_undone_is_said_plainly(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-pw", "old-inactive")
    calls = CallLog(iam)
    results = Undo(iam, journal_path)()
    assert summary(results) == [
        ("stale-pw", UndoOutcome.CANNOT_UNDO, CANNOT_DELETED_PASSWORD),
        ("old-inactive", UndoOutcome.CANNOT_UNDO, CANNOT_DELETED_KEY),
    ]
    assert calls.operations() == []
    assert undo_events(journal_path) == []
    assert login_profile(iam, "stale-pw") is None


def test_a_reset_password_cannot_be_undone(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-pw", policy=PlanPolicy(password_action="reset"))
    results = Undo(iam, journal_path)(recreate=True)
    assert summary(results) == [("stale-pw", UndoOutcome.CANNOT_UNDO, CANNOT_RESET_PASSWORD)]
    assert login_profile(iam, "stale-pw")["PasswordResetRequired"] is True


def test_a_key_already_active_needs_nothing(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key")
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Active")
    calls = CallLog(iam)
    results = Undo(iam, journal_path)()
    assert summary(results) == [
        ("stale-key", UndoOutcome.NOTHING_TO_DO, "the key is already Active")
    ]
    assert calls.writes() == []
    assert undo_events(journal_path) == [("undo-end", "stale-key", "nothing-to-do")]


def test_a_key_deleted_since_cannot_be_reactivated(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key")
    iam.delete_access_key(UserName="stale-key", AccessKeyId=account.stale_key)
    results = Undo(iam, journal_path)()
    assert summary(results) == [("stale-key", UndoOutcome.CANNOT_UNDO, "the key no longer exists")]


def test_a_second_undo_does_nothing_more(account, iam, journal_path):
    applied(account, iam, journal_path)
    first = Undo(iam, journal_path)()
    assert [r.outcome for r in first].count(UndoOutcome.REACTIVATED) == 2
    lines = len(read_journal(journal_path))
    calls = CallLog(iam)
    second = Undo(iam, journal_path)()
    # Only what cannot be undone is listed again; nothing is called, nothing journalled.
    assert summary(second) == [
        ("stale-pw", UndoOutcome.CANNOT_UNDO, CANNOT_DELETED_PASSWORD),
        ("old-inactive", UndoOutcome.CANNOT_UNDO, CANNOT_DELETED_KEY),
    ]
    assert calls.writes() == []
    assert len(read_journal(journal_path)) == lines
    assert key_status(iam, "stale-key", account.stale_key) == "Active"


def test_applying_again_after_undo_does_not_redo_what_was_undone(account, iam, journal_path):
    # Someone undid the step (perhaps because it broke something): re-running the same plan
    # must neither claim it is done nor silently deactivate the key again.
    plan = applied(account, iam, journal_path, "stale-key")
    Undo(iam, journal_path)()
    results = Run(iam, journal_path).apply(plan, resume=True)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, "undone after an earlier apply; make a new plan to act on it again")
    ]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"


def test_undo_after_apply_undo_apply_of_a_new_plan_reactivates_again(account, iam, journal_path):
    # apply -> undo -> (new plan) apply -> undo in one journal: the last undo must see the key.
    from stalecreds.remediate.journal import Journal

    applied(account, iam, journal_path, "stale-key")
    Undo(iam, journal_path)()
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    with Journal(journal_path) as journal:  # what a second apply of a new plan journals
        journal.record(
            "step-end",
            step_id=f"{MOTO_ACCOUNT_ID}/stale-key/{account.stale_key}/deactivate-access-key",
            account_id=MOTO_ACCOUNT_ID,
            user="stale-key",
            access_key_id=account.stale_key,
            action="deactivate-access-key",
            outcome="applied",
            detail="access key deactivated",
        )
    results = Undo(iam, journal_path)()
    assert [r.outcome for r in results] == [UndoOutcome.REACTIVATED]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"


# --- recreating a deleted login profile -------------------------------------------------------


def test_recreate_login_profile_sets_a_one_time_password_never_journalled(
    account, iam, journal_path
):
    applied(account, iam, journal_path, "stale-pw")
    calls = CallLog(iam)
    results = Undo(iam, journal_path)(recreate=True)
    assert summary(results) == [
        (
            "stale-pw",
            UndoOutcome.RECREATED,
            "new console password set; the user must change it at first sign-in",
        )
    ]
    password = results[0].one_time_password
    assert password is not None
    assert len(password) == 24
    (call,) = calls.writes()
    assert call.operation == "CreateLoginProfile"
    assert (call.params["UserName"], call.params["Password"]) == ("stale-pw", password)
    # moto's CreateLoginProfile ignores PasswordResetRequired (it always answers false), so
    # the reset requirement is checked on the request as sent.
    assert call.params["PasswordResetRequired"] == "true"
    assert login_profile(iam, "stale-pw") is not None
    assert password not in journal_path.read_text(encoding="utf-8")
    assert undo_events(journal_path) == [
        ("undo-start", "stale-pw", None),
        ("undo-end", "stale-pw", "recreated"),
    ]
    # Recreated once: a second undo leaves it alone.
    assert Undo(iam, journal_path)(recreate=True) == []


def test_recreate_leaves_an_existing_login_profile_alone(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-pw")
    iam.create_login_profile(UserName="stale-pw", Password="Set-by-an-admin-1!")
    calls = CallLog(iam)
    results = Undo(iam, journal_path)(recreate=True)
    assert summary(results) == [
        ("stale-pw", UndoOutcome.NOTHING_TO_DO, "the user already has a console password")
    ]
    assert calls.writes() == []


# --- failures ---------------------------------------------------------------------------------


def test_undo_retries_a_409_with_backoff(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key")
    fail_first(iam, "UpdateAccessKey", "ConcurrentModification", 1)
    run = Undo(iam, journal_path)
    assert summary(run()) == [("stale-key", UndoOutcome.REACTIVATED, "access key reactivated")]
    assert run.sleeps == [1.0]


def test_one_failure_never_stops_the_others(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key", "never-key")
    fail_first(iam, "UpdateAccessKey", "AccessDenied", 1, status=403)
    results = Undo(iam, journal_path)()
    assert summary(results) == [
        (
            "stale-key",
            UndoOutcome.FAILED,
            "iam:UpdateAccessKey failed: AccessDenied: "
            "AccessDenied injected by the test (UpdateAccessKey)",
        ),
        ("never-key", UndoOutcome.REACTIVATED, "access key reactivated"),
    ]
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    assert key_status(iam, "never-key", account.never_key) == "Active"
    # A failed undo is tried again next time.
    assert summary(Undo(iam, journal_path)()) == [
        ("stale-key", UndoOutcome.REACTIVATED, "access key reactivated")
    ]


def test_undo_without_a_journal_writes_nothing(account, iam, journal_path):
    applied(account, iam, journal_path, "stale-key")
    lines = journal_path.read_text(encoding="utf-8")
    results = undo(read_journal(journal_path), iam, None, sleep=lambda s: None)
    assert summary(results) == [("stale-key", UndoOutcome.REACTIVATED, "access key reactivated")]
    assert journal_path.read_text(encoding="utf-8") == lines


# --- which records are undone -----------------------------------------------------------------


def test_applied_steps_are_applied_or_already_done_and_not_undone():
    deactivate = Action.DEACTIVATE_ACCESS_KEY.value
    records = [
        {"event": "apply-start", "plan_id": "p"},
        {"event": "step-start", "step_id": "a", "action": deactivate},
        {"event": "step-end", "step_id": "a", "action": deactivate, "outcome": "applied"},
        {"event": "step-end", "step_id": "b", "action": deactivate, "outcome": "already-done"},
        {"event": "step-end", "step_id": "c", "action": deactivate, "outcome": "failed"},
        {"event": "step-end", "step_id": "d", "action": deactivate, "outcome": "skipped"},
        {"event": "step-end", "step_id": "e", "action": deactivate, "outcome": "applied"},
        {"event": "step-end", "step_id": "f", "action": deactivate, "outcome": "applied"},
        {"event": "undo-end", "step_id": "a", "outcome": "reactivated"},
        {"event": "undo-end", "step_id": "e", "outcome": "nothing-to-do"},
        {"event": "undo-end", "step_id": "f", "outcome": "failed"},
    ]
    assert [r["step_id"] for r in applied_steps(records)] == ["b", "e", "f"]
