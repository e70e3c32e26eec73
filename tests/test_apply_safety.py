"""Safeguards added after a fresh-eyes review: apply does not trust an edited plan, does not
delete a password set after planning, and undo copes with a crash-cut journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.apply import DEFAULT_MAX_PLAN_AGE, Outcome, PlanRefused, check_plan
from stalecreds.cli import main
from stalecreds.journal import Journal
from stalecreds.remediation import Action
from stalecreds.undo import UndoOutcome, applied_steps
from tests.test_apply import CALLER, Account, Run, key_status, step_id
from tests.test_undo import Undo


@pytest.fixture
def account(iam: Any) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "journals" / "test-plan.jsonl"


def _plan(account: Account):
    return account.plan()


def test_an_edited_window_is_refused(account: Account):
    plan = _plan(account)
    step = plan.steps[0]
    tampered = plan._replace(
        steps=(step._replace(unused_before=datetime(2030, 1, 1, tzinfo=UTC)), *plan.steps[1:])
    )
    with pytest.raises(PlanRefused, match="is not the plan's window start"):
        check_plan(tampered, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)


def test_a_plan_from_the_future_is_refused(account: Account):
    plan = _plan(account)._replace(created=account.now + timedelta(days=1))
    with pytest.raises(PlanRefused, match="in the future"):
        check_plan(plan, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)


def test_a_step_twice_is_refused(account: Account):
    plan = _plan(account)
    with pytest.raises(PlanRefused, match="appears twice in the plan"):
        check_plan(
            plan._replace(steps=(*plan.steps, plan.steps[0])),
            CALLER,
            account.now,
            DEFAULT_MAX_PLAN_AGE,
        )


def test_a_root_step_is_refused_and_never_reaches_iam(account: Account):
    plan = _plan(account)
    root = plan.steps[0]._replace(user="<root_account>", arn="arn:aws:iam::123456789012:root")
    with pytest.raises(PlanRefused, match="acts on the root user"):
        check_plan(plan._replace(steps=(root,)), CALLER, account.now, DEFAULT_MAX_PLAN_AGE)


def test_a_password_set_again_after_the_plan_is_not_deleted(account: Account, iam, journal_path):
    plan = _plan(account)
    (step,) = [s for s in plan.steps if s.action is Action.DELETE_LOGIN_PROFILE]
    later = account.now + timedelta(minutes=1)

    # moto gap: a login profile's CreateDate is always its user's creation date, so a password
    # set again cannot show a new date; this hook makes GetLoginProfile answer like IAM would.
    def recreated(parsed: dict[str, Any], **_: Any) -> None:
        parsed["LoginProfile"]["CreateDate"] = later

    iam.meta.events.register("after-call.iam.GetLoginProfile", recreated)
    try:
        (result,) = Run(iam, journal_path).apply(plan._replace(steps=(step,)))
    finally:
        iam.meta.events.unregister("after-call.iam.GetLoginProfile", recreated)
    assert result.outcome is Outcome.SKIPPED
    assert result.detail == (
        f"the console password was set again after the plan was made: {later.isoformat()}"
    )
    assert iam.get_login_profile(UserName="stale-pw")["LoginProfile"]["UserName"] == "stale-pw"


def test_undo_of_a_crash_cut_journal_checks_iam_and_reactivates(
    account: Account, iam, journal_path
):
    # The apply died after UpdateAccessKey but before writing step-end.
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    target = step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY)
    with Journal(journal_path) as journal:
        journal.record("apply-start", plan_id="p", caller=CALLER.arn)
        journal.record(
            "step-start",
            step_id=target,
            account_id=CALLER.account_id,
            user="stale-key",
            access_key_id=account.stale_key,
            action="deactivate-access-key",
        )
    from stalecreds.journal import read_journal

    assert [r["step_id"] for r in applied_steps(read_journal(journal_path))] == [target]
    results = Undo(iam, journal_path)()
    assert [r.outcome for r in results] == [UndoOutcome.REACTIVATED]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"


def test_undo_of_a_file_that_is_not_a_journal_is_an_error(tmp_path):
    garbage = tmp_path / "j.jsonl"
    garbage.write_text("this is not a journal\n")
    result = CliRunner().invoke(main, ["undo", str(garbage), "--yes"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {garbage}: not a stalecreds journal (no apply-start record)\n"
    )
