"""Safeguards added after fresh-eyes reviews: apply does not trust an edited plan (its integrity
checks and the live re-check), does not delete a password set after planning, confirms live what
its journal says is done, and undo copes with a crash-cut journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import DEFAULT_MAX_PLAN_AGE, Outcome, PlanRefused, check_plan
from stalecreds.remediate.journal import Journal
from stalecreds.remediate.plan import Plan, PlanPolicy, Step, step_id_of
from stalecreds.remediate.undo import UndoOutcome, applied_steps
from tests.conftest import MOTO_ACCOUNT_ID, SeedKey, seed_user
from tests.remediation_faults import CallLog
from tests.test_apply import CALLER, Account, Run, key_status, login_profile, only, step_id
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
    from stalecreds.remediate.journal import read_journal

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
        f"stalecreds: error: {garbage}, line 1, column 1: not a journal line: Expecting value\n"
    )
    garbage.write_text('{"event": "step-end", "step_id": "s1"}\n')
    result = CliRunner().invoke(main, ["undo", str(garbage), "--yes"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {garbage}: not a stalecreds journal (it begins with 'step-end', "
        "not apply-start)\n"
    )


# --- a journal that says a step is done: confirmed against live IAM ---------------------------


def _applied_earlier(journal_path, plan: Plan) -> dict[str, Any]:
    """What a finished apply of ``plan`` leaves in its journal, without making its IAM calls."""
    from stalecreds.remediate.journal import read_journal, step_outcomes

    with Journal(journal_path) as journal:
        journal.record("apply-start", plan_id=plan.plan_id, caller=CALLER.arn)
        for step in plan.steps:
            journal.record("step-end", step_id=step.step_id, outcome="applied", detail="done")
    return step_outcomes(read_journal(journal_path))


def test_done_in_the_journal_but_not_in_iam_is_never_reported_done(
    account: Account, iam, journal_path
):
    # The journal (e.g. another plan's, before apply refused those) says every step was applied,
    # but IAM says none was: each is skipped, saying so; nothing is changed or journalled.
    plan = only(account.plan(), "stale-pw", "stale-key", "old-inactive")
    previous = _applied_earlier(journal_path, plan)
    lines = journal_path.read_text(encoding="utf-8")
    calls = CallLog(iam)
    from stalecreds.remediate.apply import Applier

    with Journal(journal_path) as journal:
        results = Applier(iam, CALLER, journal).apply(plan, previous)
    created = login_profile(iam, "stale-pw")["CreateDate"].isoformat()
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        (
            "stale-pw",
            Outcome.SKIPPED,
            f"applied in an earlier run, but the user has a console password again (set "
            f"{created}); make a new plan to act on it again",
        ),
        (
            "stale-key",
            Outcome.SKIPPED,
            "applied in an earlier run, but the key is Active again; make a new plan to act on "
            "it again",
        ),
        (
            "old-inactive",
            Outcome.SKIPPED,
            f"the journal says an earlier run deleted it, but access key {account.old_inactive} "
            "exists (Inactive); nothing was done",
        ),
    ]
    assert calls.writes() == []
    assert journal_path.read_text(encoding="utf-8") == lines
    assert key_status(iam, "stale-key", account.stale_key) == "Active"


def test_done_in_the_journal_and_in_iam_is_already_done(account: Account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "never-key")
    previous = _applied_earlier(journal_path, plan)
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    iam.delete_access_key(UserName="never-key", AccessKeyId=account.never_key)
    from stalecreds.remediate.apply import Applier

    results = Applier(iam, CALLER, None).apply(plan, previous)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        ("stale-key", Outcome.ALREADY_DONE, "applied in an earlier run"),
        (
            "never-key",
            Outcome.ALREADY_DONE,
            "applied in an earlier run; the key has been deleted since",
        ),
    ]


# --- plan integrity: an action the plan's policy does not give --------------------------------


def _edited(plan: Plan, step: Step, **fields: Any) -> Plan:
    """``plan`` with ``step`` changed as someone editing the JSON would, step ID kept in step."""
    changed = step._replace(**fields)
    changed = changed._replace(
        step_id=step_id_of(changed.account_id, changed.user, changed.access_key_id, changed.action)
    )
    return plan._replace(steps=tuple(changed if s == step else s for s in plan.steps))


def test_an_action_the_policy_does_not_give_is_refused(account: Account):
    plan = account.plan()  # key_action deactivate, password_action delete
    key = next(s for s in plan.steps if s.user == "stale-key")
    tampered = _edited(plan, key, action=Action.DELETE_ACCESS_KEY)
    with pytest.raises(PlanRefused) as caught:
        check_plan(tampered, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)
    assert str(caught.value) == (
        f"step {tampered.steps[1].step_id}: delete-access-key for an Active access key is not "
        "what the plan's policy gives (key_action deactivate, password_action delete); was it "
        "edited?"
    )
    password = plan.steps[0]
    with pytest.raises(PlanRefused, match="reset-login-profile for a console password is not"):
        check_plan(
            _edited(plan, password, action=Action.RESET_LOGIN_PROFILE),
            CALLER,
            account.now,
            DEFAULT_MAX_PLAN_AGE,
        )
    # An Inactive key is only ever deleted, whatever key_action says.
    inactive = next(s for s in plan.steps if s.user == "old-inactive")
    with pytest.raises(PlanRefused, match="deactivate-access-key for an Inactive access key"):
        check_plan(
            _edited(plan, inactive, action=Action.DEACTIVATE_ACCESS_KEY),
            CALLER,
            account.now,
            DEFAULT_MAX_PLAN_AGE,
        )
    # With key_action delete, deleting an Active key is what the plan gives.
    deleting = account.plan(PlanPolicy(key_action="delete"))
    check_plan(deleting, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)


def test_a_step_whose_id_or_arn_does_not_match_its_user_is_refused(account: Account):
    plan = account.plan()
    step = plan.steps[1]
    moved = plan._replace(steps=(step._replace(user="busy"),))
    with pytest.raises(PlanRefused) as caught:
        check_plan(moved, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)
    assert str(caught.value) == (
        f"step {step.step_id} does not match its account, user, key and action "
        f"({MOTO_ACCOUNT_ID}, busy, {account.stale_key}, deactivate-access-key); was it edited?"
    )
    renamed = _edited(plan, step, user="busy")  # step ID follows, ARN still stale-key's
    with pytest.raises(PlanRefused, match=r"arn .*:user/stale-key is not user busy's in account"):
        check_plan(renamed, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)


# --- the live re-check: exempt users, new credentials, someone else's key ----------------------


def _retarget(plan: Plan, step: Step, user: str, key_id: str | None = None) -> Plan:
    """One-step plan: ``step`` moved to ``user`` (and key), edited consistently."""
    key = key_id if key_id is not None else step.access_key_id
    arn = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/{user}"
    return _edited(plan._replace(steps=(step,)), step, user=user, arn=arn, access_key_id=key)


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_user_exempt_by_tag_is_skipped(account: Account, iam, journal_path, dry_run):
    keys = seed_user(
        iam,
        "break-glass",
        created=account.now - timedelta(days=400),
        password=True,
        keys=(SeedKey(account.now - timedelta(days=400)),),
        tags={"stalecreds:exempt": "emergency access"},
    )
    plan = account.plan()
    for step, key in ((plan.steps[0], None), (plan.steps[1], keys[0])):
        edited = _retarget(plan, step, "break-glass", key)
        check_plan(edited, CALLER, account.now, DEFAULT_MAX_PLAN_AGE)
        (result,) = Run(iam, journal_path).apply(edited, dry_run=dry_run)
        assert (result.outcome, result.detail) == (
            Outcome.SKIPPED,
            "user break-glass is exempt now: tag stalecreds:exempt = 'emergency access'",
        )
    assert key_status(iam, "break-glass", keys[0]) == "Active"
    assert login_profile(iam, "break-glass") is not None


def test_the_exemption_tag_is_the_one_the_plan_was_made_with(account: Account, iam, journal_path):
    seed_user(
        iam,
        "kept",
        created=account.now - timedelta(days=400),
        password=True,
        tags={"team:keep": "yes"},
    )
    plan = account.plan(PlanPolicy(exempt_tag="team:keep"))
    edited = _retarget(plan, plan.steps[0], "kept")
    (result,) = Run(iam, journal_path).apply(edited, dry_run=True)
    assert (result.outcome, result.detail) == (
        Outcome.SKIPPED,
        "user kept is exempt now: tag team:keep = 'yes'",
    )
    # The default tag means nothing to a plan made with another one.
    iam.untag_user(UserName="kept", TagKeys=["team:keep"])
    iam.tag_user(UserName="kept", Tags=[{"Key": "stalecreds:exempt", "Value": "x"}])
    (result,) = Run(iam, journal_path).apply(edited, dry_run=True)
    assert result.outcome is Outcome.WOULD_APPLY


def test_credentials_newer_than_the_cut_off_are_skipped(account: Account, iam, journal_path):
    # Verdict "new", never in a plan: a password set and a key created 3 days ago. (In moto a
    # login profile's CreateDate is its user's creation date: seeded, no stub needed.)
    three_days_ago = account.now - timedelta(days=3)
    (key_id,) = seed_user(
        iam, "newcomer", created=three_days_ago, password=True, keys=(SeedKey(three_days_ago),)
    )
    plan = account.plan()
    password, key = plan.steps[0], plan.steps[1]
    cutoff = password.unused_before.isoformat()
    (result,) = Run(iam, journal_path).apply(_retarget(plan, password, "newcomer"), dry_run=True)
    assert (result.outcome, result.detail) == (
        Outcome.SKIPPED,
        f"the console password was set {three_days_ago.isoformat()}, after the plan's cut-off "
        f"{cutoff}: a new password, not an unused one",
    )
    (result,) = Run(iam, journal_path).apply(_retarget(plan, key, "newcomer", key_id))
    assert (result.outcome, result.detail) == (
        Outcome.SKIPPED,
        f"created {three_days_ago.isoformat()}, after the plan's cut-off "
        f"{key.unused_before.isoformat()}: a new key, not an unused one",
    )
    assert key_status(iam, "newcomer", key_id) == "Active"


def test_a_key_of_another_user_or_a_missing_user_is_said_plainly(
    account: Account, iam, journal_path
):
    plan = account.plan()
    password, key = plan.steps[0], plan.steps[1]
    results = [
        *Run(iam, journal_path).apply(_retarget(plan, key, "busy"), dry_run=True),
        *Run(iam, journal_path).apply(_retarget(plan, key, "ghost"), dry_run=True),
        *Run(iam, journal_path).apply(_retarget(plan, password, "ghost"), dry_run=True),
    ]
    assert [(r.outcome, r.detail) for r in results] == [
        (
            Outcome.SKIPPED,
            f"access key {account.stale_key} belongs to user stale-key, not to busy",
        ),
        (Outcome.SKIPPED, "user ghost does not exist"),
        (Outcome.SKIPPED, "user ghost does not exist"),
    ]


def test_the_re_check_costs_one_tag_read_per_step_about_to_run(account: Account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "stale-pw")
    moto_last_used = account.now - timedelta(hours=1)
    from moto.iam.models import AccessKeyLastUsed

    from tests.conftest import moto_iam_backend

    moto_iam_backend().users["stale-key"].access_keys[0].last_used = AccessKeyLastUsed(
        moto_last_used, "s3", "us-east-1"
    )
    calls = CallLog(iam)
    results = Run(iam, journal_path).apply(plan)
    assert [r.outcome for r in results] == [Outcome.APPLIED, Outcome.SKIPPED]
    assert calls.operations() == [
        "GetLoginProfile",
        "GetUser",
        "ListUserTags",
        "DeleteLoginProfile",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",  # used since the cut-off: skipped, no tag read
    ]
