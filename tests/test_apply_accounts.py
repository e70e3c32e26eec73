"""Plan and apply across accounts (moto over HTTP): ``plan --accounts A,B``, then ``apply``.

Apply groups the plan's steps by account and assumes ``--role-name`` in each account that is not
the caller's; the steps of an account whose role cannot be assumed fail alone, journalled, and
the other account's steps are applied. Roles are "missing" by injection (``AccountFaults``:
moto's ``AssumeRole`` never checks that a role exists); everything else is moto's. Dates are
relative to now: apply refuses a plan older than 24 hours.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.remediate.journal import read_journal
from tests.conftest import SeedKey
from tests.org_helpers import (
    ROLE,
    AccountFaults,
    iam_backend,
    member_iam,
    new_session,
    seed_member_user,
)

A, B = "111122223333", "444455556666"


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


class Seeded:
    """Each account: an unused password, an unused key, and a user in use (never planned)."""

    def __init__(self) -> None:
        now = datetime.now(UTC).replace(microsecond=0)

        def days(n: float) -> datetime:
            return now - timedelta(days=n)

        session = new_session()
        self.keys: dict[str, str] = {}
        for account_id in (A, B):
            iam = member_iam(session, account_id)
            seed_member_user(
                iam,
                account_id,
                "stale-pw",
                created=days(400),
                password=True,
                password_used=days(200),
            )
            (self.keys[account_id],) = seed_member_user(
                iam,
                account_id,
                "stale-key",
                created=days(500),
                keys=(SeedKey(days(400), days(200), service="s3"),),
            )
            seed_member_user(
                iam,
                account_id,
                "busy",
                created=days(600),
                password=True,
                password_used=days(1),
                keys=(SeedKey(days(500), days(1)),),
            )
            # moto answers an account's first GenerateCredentialReport STARTED, and the scan waits
            # 0.25 s before asking again: generate it now, for speed.
            iam.generate_credential_report()


def has_password(account_id: str, user: str) -> bool:
    return iam_backend(account_id).users[user].password is not None


def key_status(account_id: str, user: str) -> str:
    (key,) = iam_backend(account_id).users[user].access_keys
    return str(key.status)


@pytest.fixture
def seeded(moto_endpoint) -> Seeded:
    return Seeded()


def make_plan(tmp_path: Path, *accounts: str) -> dict[str, Any]:
    out = tmp_path / "plan.json"
    result = cli("plan", "--accounts", ",".join(accounts), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def apply(tmp_path: Path, *args: str) -> Any:
    journal = tmp_path / "journal.jsonl"
    return cli("apply", str(tmp_path / "plan.json"), "--yes", "--journal", str(journal), *args)


def ends(tmp_path: Path) -> dict[str, tuple[str, str, str]]:
    """step_id -> (account_id, outcome, detail) of every step-end in the journal."""
    return {
        r["step_id"]: (r["account_id"], r["outcome"], r["detail"])
        for r in read_journal(tmp_path / "journal.jsonl")
        if r["event"] == "step-end"
    }


def test_the_plan_holds_steps_of_both_accounts(seeded, tmp_path):
    plan = make_plan(tmp_path, A, B)
    steps = {(s["account_id"], s["user"], s["action"]) for s in plan["steps"]}
    assert steps == {
        (account, user, action)
        for account in (A, B)
        for user, action in (
            ("stale-pw", "delete-login-profile"),
            ("stale-key", "deactivate-access-key"),
        )
    }
    assert plan["account_id"] == ""  # several accounts: each step names its own


def test_apply_acts_in_both_accounts_through_the_role(seeded, tmp_path, monkeypatch):
    make_plan(tmp_path, A, B)
    faults = AccountFaults().install(monkeypatch)  # records AssumeRole; denies nothing
    result = apply(tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    for account_id in (A, B):
        assert not has_password(account_id, "stale-pw")
        assert key_status(account_id, "stale-key") == "Inactive"
        assert has_password(account_id, "busy")
        assert key_status(account_id, "busy") == "Active"
    assert sorted(ends(tmp_path).values()) == sorted(
        (account_id, "applied", detail)
        for account_id in (A, B)
        for detail in ("console password (login profile) deleted", "access key deactivated")
    )
    assert faults.assumed_accounts() == [A, B]
    assert {(c.role_name, c.session_name) for c in faults.assume_calls} == {(ROLE, "stalecreds")}
    # The changes were made by the assumed role of each account, not by the caller.
    from moto.sts.models import sts_backends

    for account_id in (A, B):
        roles = sts_backends[account_id]["global"].assumed_roles
        assert {r.role_arn for r in roles} >= {f"arn:aws:iam::{account_id}:role/{ROLE}"}


def test_apply_with_another_role_name_and_an_external_id(seeded, tmp_path, monkeypatch):
    make_plan(tmp_path, A, B)
    faults = AccountFaults().install(monkeypatch)
    result = apply(tmp_path, "--role-name", "StalecredsRemediate", "--external-id", "ticket-42")
    assert result.exit_code == 0, result.stderr
    assert {(c.account_id, c.role_name, c.external_id) for c in faults.assume_calls} == {
        (A, "StalecredsRemediate", "ticket-42"),
        (B, "StalecredsRemediate", "ticket-42"),
    }


def test_dry_run_across_accounts_changes_nothing(seeded, tmp_path, monkeypatch):
    make_plan(tmp_path, A, B)
    AccountFaults().install(monkeypatch)
    result = apply(tmp_path, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("would-apply") >= 4
    for account_id in (A, B):
        assert has_password(account_id, "stale-pw")
        assert key_status(account_id, "stale-key") == "Active"
    assert not (tmp_path / "journal.jsonl").exists()


def test_a_step_whose_role_cannot_be_assumed_fails_alone(seeded, tmp_path, monkeypatch):
    plan = make_plan(tmp_path, A, B)
    faults = AccountFaults().install(monkeypatch)
    faults.deny_assume.add(B)
    result = apply(tmp_path)
    assert result.exit_code == 3, result.stderr
    # A: applied through its role.
    assert not has_password(A, "stale-pw")
    assert key_status(A, "stale-key") == "Inactive"
    # B: untouched, each of its steps failed with the reason, and journalled so.
    assert has_password(B, "stale-pw")
    assert key_status(B, "stale-key") == "Active"
    journal = ends(tmp_path)
    b_steps = [s["step_id"] for s in plan["steps"] if s["account_id"] == B]
    assert len(b_steps) == 2
    for step_id in b_steps:
        account_id, outcome, detail = journal[step_id]
        assert (account_id, outcome) == (B, "failed")
        assert detail.startswith(f"account {B}: ")
        assert "AccessDenied" in detail
        assert f"sts:AssumeRole on resource: arn:aws:iam::{B}:role/{ROLE}" in detail
    assert {journal[s["step_id"]][1] for s in plan["steps"] if s["account_id"] == A} == {"applied"}
    # No call was started in B.
    records = read_journal(tmp_path / "journal.jsonl")
    assert not [r for r in records if r["event"] == "step-start" and r["account_id"] == B]


def test_the_journal_says_the_role_could_not_be_assumed(seeded, tmp_path, monkeypatch):
    # Once a bug (the same as in test_multi_account): AssumeRole is deferred to the first use
    # of the credentials, which in apply is GetCallerIdentity, so the journal says
    # "sts:GetCallerIdentity failed: AccessDenied" for a role that could not be assumed.
    make_plan(tmp_path, A, B)
    faults = AccountFaults().install(monkeypatch)
    faults.deny_assume.add(B)
    apply(tmp_path)
    details = {detail for account_id, _, detail in ends(tmp_path).values() if account_id == B}
    assert len(details) == 1
    assert details.pop().startswith(f"account {B}: sts:AssumeRole failed: AccessDenied: ")


def test_a_plan_for_one_member_account_is_applied_through_its_role(seeded, tmp_path, monkeypatch):
    # Once a bug: build_plan gives a plan whose findings are all in one account that
    # account's ID, so check_plan refuses it ("the plan is for account A but the credentials
    # are for account <management>") although apply would assume the role there. The README:
    # "plan and apply work across accounts too".
    plan = make_plan(tmp_path, A)
    assert {s["account_id"] for s in plan["steps"]} == {A}
    AccountFaults().install(monkeypatch)
    result = apply(tmp_path)
    assert result.exit_code == 0, result.stderr
    assert not has_password(A, "stale-pw")
    assert key_status(A, "stale-key") == "Inactive"


def test_plan_says_when_an_account_could_not_be_scanned(seeded, tmp_path, monkeypatch):
    # Once a bug: 'plan' over several accounts drops an account it could not scan without a
    # word and exits 0; 'scan' names the account and exits 4. A plan reviewed as "everything"
    # would silently leave that account's findings in place.
    faults = AccountFaults().install(monkeypatch)
    faults.deny_iam[B] = {"GenerateCredentialReport"}
    out = tmp_path / "plan.json"
    result = cli("plan", "--accounts", f"{A},{B}", "--out", str(out))
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert {s["account_id"] for s in plan["steps"]} == {A}
    assert f"account {B}" in result.stderr
    assert result.exit_code == 4
