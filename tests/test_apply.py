"""Applying a plan to IAM (moto over HTTP): re-checks, the caller's own key, resume, retries.

Every test scans a seeded moto account live (scan_account), builds the plan with build_plan and
applies it with an Applier over the same client, journalling to a file under tmp_path. Dates are
seeded relative to now through moto's in-process backend (moto cannot be told dates over HTTP).
moto never answers 409 (EntityTemporarilyUnmodifiable, ConcurrentModification, DeleteConflict):
those are injected on the client (tests/remediation_faults.py). No test really sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stalecreds.aws.live_scan import scan_account
from stalecreds.aws.session import AwsError, caller_identity
from stalecreds.model import Caller
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import (
    ATTEMPTS,
    DEFAULT_MAX_PLAN_AGE,
    Applier,
    Outcome,
    PlanRefused,
    StepResult,
    check_plan,
    random_password,
    retry_call,
)
from stalecreds.remediate.journal import Journal, read_journal, step_outcomes
from stalecreds.remediate.plan import Plan, PlanPolicy, build_plan
from stalecreds.rules.verdicts import Thresholds, VerdictRules
from tests.conftest import FAKE_ACCESS_KEY_ID, MOTO_ACCOUNT_ID, SeedKey, moto_iam_backend, seed_user
from tests.remediation_faults import CallLog, fail_first

CALLER = Caller(f"arn:aws:sts::{MOTO_ACCOUNT_ID}:user/moto", MOTO_ACCOUNT_ID, FAKE_ACCESS_KEY_ID)
"""Who moto says the test credentials are (STS GetCallerIdentity), and the key they sign with."""


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Account:
    """The seeded moto account: key IDs by user."""

    def __init__(self, iam: Any, now: datetime) -> None:
        def days(n: float) -> datetime:
            return now - timedelta(days=n)

        self.iam = iam
        self.now = now
        # Password last used 200 days ago: unused (delete-login-profile).
        seed_user(iam, "stale-pw", created=days(400), password=True, password_used=days(200))
        # Active key last used 200 days ago: unused (deactivate).
        self.stale_key = seed_user(
            iam,
            "stale-key",
            created=days(500),
            keys=(SeedKey(days(400), days(200), service="s3"),),
        )[0]
        # Active key never used in 300 days: never_used (deactivate).
        self.never_key = seed_user(iam, "never-key", created=days(300), keys=(SeedKey(days(300)),))[
            0
        ]
        # Inactive key last used 300 days ago: clean-up candidate past quarantine (delete).
        self.old_inactive = seed_user(
            iam,
            "old-inactive",
            created=days(600),
            keys=(SeedKey(days(500), days(300), active=False, service="ec2"),),
        )[0]
        # In use: never in a plan.
        self.busy = seed_user(
            iam,
            "busy",
            created=days(600),
            password=True,
            password_used=days(1),
            keys=(SeedKey(days(500), days(1)),),
        )[0]

    def plan(self, policy: PlanPolicy = PlanPolicy(), caller: Caller | None = None) -> Plan:  # noqa: B008
        rules = VerdictRules(self.now, Thresholds())
        result = scan_account(self.iam, rules, sleep=_no_sleep)
        assert result.errors == ()
        return build_plan(
            result,
            plan_id="test-plan",
            created=self.now,
            as_of=self.now,
            thresholds=Thresholds(),
            policy=policy,
            caller=caller,
        )


def _no_sleep(seconds: float) -> None:
    """The report fetch polls moto's (instant) report generation: no need to wait."""


@pytest.fixture
def account(iam: Any, now: datetime) -> Account:
    return Account(iam, now)


@pytest.fixture
def journal_path(tmp_path):
    return tmp_path / "journals" / "test-plan.jsonl"


class Run:
    """An Applier with a fake sleep that records the waits."""

    def __init__(self, iam: Any, journal_path, caller: Caller = CALLER) -> None:
        self.sleeps: list[float] = []
        self.iam = iam
        self.journal_path = journal_path
        self.caller = caller

    def apply(self, plan: Plan, *, dry_run: bool = False, resume: bool = False):
        previous = step_outcomes(read_journal(self.journal_path)) if resume else None
        journal = Journal(self.journal_path)
        try:
            applier = Applier(self.iam, self.caller, journal, sleep=self.sleeps.append)
            return applier.apply(plan, previous, dry_run=dry_run)
        finally:
            journal.close()


def outcomes(results: list[StepResult]) -> dict[str, tuple[Outcome, str]]:
    return {r.step.step_id: (r.outcome, r.detail) for r in results}


def step_id(user: str, target: str, action: Action) -> str:
    return f"{MOTO_ACCOUNT_ID}/{user}/{target}/{action.value}"


def key_status(iam: Any, user: str, key_id: str) -> str | None:
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return next((k["Status"] for k in keys if k["AccessKeyId"] == key_id), None)


def login_profile(iam: Any, user: str) -> dict | None:
    try:
        return iam.get_login_profile(UserName=user)["LoginProfile"]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        return None


def journal_events(path) -> list[tuple[str, str | None, str | None]]:
    return [(r["event"], r.get("step_id"), r.get("outcome")) for r in read_journal(path)]


def only(plan: Plan, *users: str) -> Plan:
    return plan._replace(steps=tuple(s for s in plan.steps if s.user in users))


# --- the plan that the seeded account gives ---------------------------------------------------


def test_the_seeded_account_plans_four_steps(account):
    plan = account.plan()
    cutoff = account.now - timedelta(days=90)
    assert [(s.step_id, s.expect_status, s.unused_before) for s in plan.steps] == [
        (step_id("stale-pw", "password", Action.DELETE_LOGIN_PROFILE), None, cutoff),
        (
            step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY),
            "Active",
            cutoff,
        ),
        (
            step_id("never-key", account.never_key, Action.DEACTIVATE_ACCESS_KEY),
            "Active",
            cutoff,
        ),
        (
            step_id("old-inactive", account.old_inactive, Action.DELETE_ACCESS_KEY),
            "Inactive",
            cutoff,
        ),
    ]
    assert plan.account_id == MOTO_ACCOUNT_ID
    assert plan.excluded == ()


def test_caller_identity_from_moto(moto_endpoint, boto_session):
    assert caller_identity(boto_session) == CALLER


# --- the whole cycle --------------------------------------------------------------------------


def test_plan_apply_undo_cycle(account, iam, journal_path):
    from stalecreds.remediate.undo import UndoOutcome, undo

    plan = account.plan()
    run = Run(iam, journal_path)
    results = run.apply(plan)
    pw = step_id("stale-pw", "password", Action.DELETE_LOGIN_PROFILE)
    stale = step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY)
    never = step_id("never-key", account.never_key, Action.DEACTIVATE_ACCESS_KEY)
    old = step_id("old-inactive", account.old_inactive, Action.DELETE_ACCESS_KEY)
    assert outcomes(results) == {
        pw: (Outcome.APPLIED, "console password (login profile) deleted"),
        stale: (Outcome.APPLIED, "access key deactivated"),
        never: (Outcome.APPLIED, "access key deactivated"),
        old: (Outcome.APPLIED, "access key deleted"),
    }
    assert run.sleeps == []
    # IAM really changed.
    assert login_profile(iam, "stale-pw") is None
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    assert key_status(iam, "never-key", account.never_key) == "Inactive"
    assert iam.list_access_keys(UserName="old-inactive")["AccessKeyMetadata"] == []
    # And nothing else did.
    assert key_status(iam, "busy", account.busy) == "Active"
    assert login_profile(iam, "busy") is not None
    # Each step: a start before the call, an end after it.
    assert journal_events(journal_path) == [
        ("step-start", pw, None),
        ("step-end", pw, "applied"),
        ("step-start", stale, None),
        ("step-end", stale, "applied"),
        ("step-start", never, None),
        ("step-end", never, "applied"),
        ("step-start", old, None),
        ("step-end", old, "applied"),
    ]
    end = read_journal(journal_path)[3]
    assert {k: v for k, v in end.items() if k != "time"} == {
        "event": "step-end",
        "step_id": stale,
        "account_id": MOTO_ACCOUNT_ID,
        "user": "stale-key",
        "access_key_id": account.stale_key,
        "action": "deactivate-access-key",
        "outcome": "applied",
        "detail": "access key deactivated",
    }

    sleeps: list[float] = []
    with Journal(journal_path) as journal:
        undone = undo(read_journal(journal_path), iam, journal, sleep=sleeps.append)
    assert [(r.record["step_id"], r.outcome, r.detail) for r in undone] == [
        (
            pw,
            UndoOutcome.CANNOT_UNDO,
            "a deleted password cannot be restored; --recreate-login-profile sets a new one",
        ),
        (stale, UndoOutcome.REACTIVATED, "access key reactivated"),
        (never, UndoOutcome.REACTIVATED, "access key reactivated"),
        (
            old,
            UndoOutcome.CANNOT_UNDO,
            "a deleted access key cannot be restored; create a new one",
        ),
    ]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "never-key", account.never_key) == "Active"
    assert login_profile(iam, "stale-pw") is None
    assert sleeps == []


# --- drift between plan and apply: skipped with the reason ------------------------------------


def test_key_used_since_the_plan_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "never-key")
    used = account.now - timedelta(hours=1)
    moto_iam_backend().users["stale-key"].access_keys[0].last_used = _last_used(used)
    results = Run(iam, journal_path).apply(plan)
    cutoff = plan.steps[0].unused_before.isoformat()
    assert [(r.outcome, r.detail) for r in results] == [
        (
            Outcome.SKIPPED,
            f"last used {used.isoformat()}, on or after the plan's cut-off {cutoff}",
        ),
        (Outcome.APPLIED, "access key deactivated"),
    ]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    # A skip is journalled as an end without a start: no IAM call was made.
    sid = step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY)
    assert journal_events(journal_path)[0] == ("step-end", sid, "skipped")


def test_key_used_just_before_the_window_start_is_still_acted_on(account, iam, journal_path):
    plan = only(account.plan(), "stale-key")
    before = plan.steps[0].unused_before - timedelta(seconds=1)
    moto_iam_backend().users["stale-key"].access_keys[0].last_used = _last_used(before)
    results = Run(iam, journal_path).apply(plan)
    assert [r.outcome for r in results] == [Outcome.APPLIED]


def test_key_used_at_the_window_start_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-key")
    at = plan.steps[0].unused_before
    moto_iam_backend().users["stale-key"].access_keys[0].last_used = _last_used(at)
    results = Run(iam, journal_path).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (
            Outcome.SKIPPED,
            f"last used {at.isoformat()}, on or after the plan's cut-off {at.isoformat()}",
        )
    ]


def _last_used(at: datetime) -> Any:
    from moto.iam.models import AccessKeyLastUsed

    return AccessKeyLastUsed(at, "s3", "us-east-1")


def test_key_deleted_since_the_plan_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "old-inactive")
    iam.delete_access_key(UserName="stale-key", AccessKeyId=account.stale_key)
    iam.delete_access_key(UserName="old-inactive", AccessKeyId=account.old_inactive)
    results = Run(iam, journal_path).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, f"access key {account.stale_key} no longer exists"),
        (Outcome.SKIPPED, f"access key {account.old_inactive} no longer exists"),
    ]


def test_key_whose_status_changed_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "old-inactive")
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    iam.update_access_key(
        UserName="old-inactive", AccessKeyId=account.old_inactive, Status="Active"
    )
    results = Run(iam, journal_path).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, "status is Inactive, the plan expected Active"),
        (Outcome.SKIPPED, "status is Active, the plan expected Inactive"),
    ]
    # The reactivated key was not deleted.
    assert key_status(iam, "old-inactive", account.old_inactive) == "Active"


def test_password_used_since_the_plan_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-pw")
    used = account.now - timedelta(minutes=5)
    moto_iam_backend().users["stale-pw"].password_last_used = used
    results = Run(iam, journal_path).apply(plan)
    cutoff = plan.steps[0].unused_before.isoformat()
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, f"signed in {used.isoformat()}, on or after the plan's cut-off {cutoff}")
    ]
    assert login_profile(iam, "stale-pw") is not None


def test_password_removed_since_the_plan_is_skipped(account, iam, journal_path):
    plan = only(account.plan(), "stale-pw")
    iam.delete_login_profile(UserName="stale-pw")
    results = Run(iam, journal_path).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, "the user no longer has a console password")
    ]


def test_a_failed_recheck_fails_the_step_only(account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "stale-pw")
    fail_first(iam, "ListAccessKeys", "AccessDenied", 99, status=403)
    results = Run(iam, journal_path).apply(plan)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        ("stale-pw", Outcome.APPLIED, "console password (login profile) deleted"),
        (
            "stale-key",
            Outcome.FAILED,
            "re-check failed: iam:ListAccessKeys failed: AccessDenied: "
            "AccessDenied injected by the test (ListAccessKeys)",
        ),
    ]


# --- the caller's own key ---------------------------------------------------------------------


def test_the_callers_own_key_is_excluded_from_a_live_plan(account):
    caller = Caller(
        f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/stale-key", MOTO_ACCOUNT_ID, account.stale_key
    )
    plan = account.plan(caller=caller)
    assert account.stale_key not in [s.access_key_id for s in plan.steps]
    assert [(e.user, e.access_key_id, e.reason) for e in plan.excluded] == [
        ("stale-key", account.stale_key, "this is the access key the run itself signs with")
    ]


def test_the_callers_own_key_is_never_touched_even_in_a_tampered_plan(account, iam, journal_path):
    plan = only(account.plan(), "stale-key", "never-key")  # planned without knowing the caller
    caller = Caller(
        f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/stale-key", MOTO_ACCOUNT_ID, account.stale_key
    )
    calls = CallLog(iam)
    results = Run(iam, journal_path, caller).apply(plan)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        ("stale-key", Outcome.SKIPPED, "this is the key the run signs with"),
        ("never-key", Outcome.APPLIED, "access key deactivated"),
    ]
    assert [c.params.get("AccessKeyId") for c in calls.writes()] == [account.never_key]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    sid = step_id("stale-key", account.stale_key, Action.DEACTIVATE_ACCESS_KEY)
    assert journal_events(journal_path)[0] == ("step-end", sid, "skipped")


# --- resuming ---------------------------------------------------------------------------------


def test_an_interrupted_apply_counts_finished_calls_as_done(account, iam, journal_path):
    plan = account.plan()
    steps = {s.user: s for s in plan.steps}
    # The earlier run journalled step-start for three steps and died; two calls had gone through.
    with Journal(journal_path) as journal:
        for user in ("stale-pw", "stale-key", "old-inactive", "never-key"):
            step = steps[user]
            journal.record("step-start", step_id=step.step_id, user=user, action=step.action.value)
    iam.delete_login_profile(UserName="stale-pw")
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    iam.delete_access_key(UserName="old-inactive", AccessKeyId=account.old_inactive)
    calls = CallLog(iam)
    results = Run(iam, journal_path).apply(plan, resume=True)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        ("stale-pw", Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"),
        ("stale-key", Outcome.ALREADY_DONE, "deactivated before the earlier run was interrupted"),
        ("never-key", Outcome.APPLIED, "access key deactivated"),
        ("old-inactive", Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"),
    ]
    assert [c.operation for c in calls.writes()] == ["UpdateAccessKey"]
    assert key_status(iam, "never-key", account.never_key) == "Inactive"
    assert [e for e in journal_events(journal_path)[4:] if e[0] == "step-end"] == [
        ("step-end", steps["stale-pw"].step_id, "already-done"),
        ("step-end", steps["stale-key"].step_id, "already-done"),
        ("step-end", steps["never-key"].step_id, "applied"),
        ("step-end", steps["old-inactive"].step_id, "already-done"),
    ]


def test_without_an_interruption_an_inactive_key_is_a_status_change(account, iam, journal_path):
    # The same live state, but no step-start in the journal: someone else deactivated the key.
    plan = only(account.plan(), "stale-key")
    iam.update_access_key(UserName="stale-key", AccessKeyId=account.stale_key, Status="Inactive")
    results = Run(iam, journal_path).apply(plan, resume=True)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.SKIPPED, "status is Inactive, the plan expected Active")
    ]


def test_rerunning_a_finished_plan_does_nothing(account, iam, journal_path):
    plan = account.plan()
    first = Run(iam, journal_path).apply(plan)
    assert {r.outcome for r in first} == {Outcome.APPLIED}
    lines = journal_path.read_text(encoding="utf-8")
    calls = CallLog(iam)
    again = Run(iam, journal_path).apply(plan, resume=True)
    assert [(r.outcome, r.detail) for r in again] == [
        (Outcome.ALREADY_DONE, "applied in an earlier run")
    ] * 4
    # Each is confirmed live with one read; nothing is changed or journalled.
    assert calls.operations() == ["GetLoginProfile"] + ["ListAccessKeys"] * 3
    assert journal_path.read_text(encoding="utf-8") == lines


def test_a_failed_step_is_tried_again_on_rerun(account, iam, journal_path):
    plan = only(account.plan(), "stale-key")
    fail_first(iam, "UpdateAccessKey", "AccessDenied", 1, status=403)
    first = Run(iam, journal_path).apply(plan)
    assert [r.outcome for r in first] == [Outcome.FAILED]
    again = Run(iam, journal_path).apply(plan, resume=True)
    assert [(r.outcome, r.detail) for r in again] == [(Outcome.APPLIED, "access key deactivated")]
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"


def test_dry_run_rechecks_and_changes_nothing(account, iam, journal_path):
    plan = account.plan()
    iam.update_access_key(UserName="never-key", AccessKeyId=account.never_key, Status="Inactive")
    calls = CallLog(iam)
    results = Run(iam, journal_path).apply(plan, dry_run=True)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        ("stale-pw", Outcome.WOULD_APPLY, "live state as planned"),
        ("stale-key", Outcome.WOULD_APPLY, "live state as planned"),
        ("never-key", Outcome.SKIPPED, "status is Inactive, the plan expected Active"),
        ("old-inactive", Outcome.WOULD_APPLY, "live state as planned"),
    ]
    assert calls.writes() == []
    assert read_journal(journal_path) == []
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert login_profile(iam, "stale-pw") is not None


# --- refusing a whole plan --------------------------------------------------------------------


def small_plan(created: datetime, account_id: str = MOTO_ACCOUNT_ID) -> Plan:
    return build_plan(
        [],
        plan_id="p",
        created=created,
        as_of=created,
        thresholds=Thresholds(),
        caller=Caller("arn", account_id, None),
    )


def test_check_plan_refuses_a_plan_older_than_max_age():
    made = datetime(2025, 6, 1, tzinfo=UTC)
    with pytest.raises(PlanRefused) as caught:
        check_plan(small_plan(made), CALLER, made + timedelta(hours=25), DEFAULT_MAX_PLAN_AGE)
    assert str(caught.value) == (
        "the plan was made 25 hours ago (2025-06-01T00:00:00+00:00), more than --max-plan-age "
        "allows (24 h); make a new plan"
    )
    # Exactly the maximum age is still accepted; so is a longer --max-plan-age.
    check_plan(small_plan(made), CALLER, made + timedelta(hours=24), DEFAULT_MAX_PLAN_AGE)
    check_plan(small_plan(made), CALLER, made + timedelta(hours=25), timedelta(hours=48))


def test_check_plan_refuses_a_plan_for_another_account():
    made = datetime(2025, 6, 1, tzinfo=UTC)
    with pytest.raises(PlanRefused) as caught:
        check_plan(small_plan(made, "111122223333"), CALLER, made, DEFAULT_MAX_PLAN_AGE)
    # The plan was made by a caller in 111122223333: credentials of another account refuse it.
    assert str(caught.value) == (
        "the plan was made from account 111122223333 but the credentials are for account "
        "123456789012 (arn:aws:sts::123456789012:user/moto)"
    )


def test_steps_for_another_account_are_never_applied(account, iam, journal_path, now):
    # A plan made from a report holding two accounts has no single account (account_id "").
    # Its steps name their account; applying one with credentials for another account would
    # act on a same-named user there.
    plan = only(account.plan(), "stale-pw")
    (step,) = plan.steps
    foreign = step._replace(
        account_id="444455556666",
        arn="arn:aws:iam::444455556666:user/stale-pw",
        step_id="444455556666/stale-pw/password/delete-login-profile",
    )
    plan = plan._replace(account_id="", steps=(foreign,))
    try:
        check_plan(plan, CALLER, now, DEFAULT_MAX_PLAN_AGE)
    except PlanRefused:
        pass
    else:
        results = Run(iam, journal_path).apply(plan)
        assert [r.outcome for r in results] == [Outcome.SKIPPED]
    assert login_profile(iam, "stale-pw") is not None


# --- 409s: retried with backoff, each step standing alone (api-cases 10) ----------------------


@pytest.mark.parametrize(
    "code", ["EntityTemporarilyUnmodifiable", "ConcurrentModification", "DeleteConflict"]
)
def test_two_409s_then_success_is_applied_after_two_waits(account, iam, journal_path, code):
    plan = only(account.plan(), "stale-pw")
    attempts = fail_first(iam, "DeleteLoginProfile", code, 2)
    run = Run(iam, journal_path)
    results = run.apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.APPLIED, "console password (login profile) deleted")
    ]
    assert run.sleeps == [1.0, 2.0]
    assert attempts == [3]
    assert login_profile(iam, "stale-pw") is None


def test_409_five_times_fails_that_step_and_the_others_still_apply(account, iam, journal_path):
    plan = account.plan()
    attempts = fail_first(iam, "DeleteLoginProfile", "ConcurrentModification", 5)
    run = Run(iam, journal_path)
    results = run.apply(plan)
    assert [(r.step.user, r.outcome, r.detail) for r in results] == [
        (
            "stale-pw",
            Outcome.FAILED,
            "iam:DeleteLoginProfile failed: ConcurrentModification: "
            "ConcurrentModification injected by the test (DeleteLoginProfile)",
        ),
        ("stale-key", Outcome.APPLIED, "access key deactivated"),
        ("never-key", Outcome.APPLIED, "access key deactivated"),
        ("old-inactive", Outcome.APPLIED, "access key deleted"),
    ]
    assert attempts == [ATTEMPTS] == [5]
    assert run.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert login_profile(iam, "stale-pw") is not None
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    pw = plan.steps[0].step_id
    assert journal_events(journal_path)[:2] == [
        ("step-start", pw, None),
        ("step-end", pw, "failed"),
    ]


def test_a_non_retried_error_fails_at_once(account, iam, journal_path):
    plan = only(account.plan(), "stale-key")
    attempts = fail_first(iam, "UpdateAccessKey", "AccessDenied", 99, status=403)
    run = Run(iam, journal_path)
    results = run.apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (
            Outcome.FAILED,
            "iam:UpdateAccessKey failed: AccessDenied: "
            "AccessDenied injected by the test (UpdateAccessKey)",
        )
    ]
    assert attempts == [1]
    assert run.sleeps == []


class _Flaky:
    def __init__(self, *codes: str) -> None:
        self.codes = list(codes)
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.codes:
            code = self.codes.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": f"{code}!"}}, "DeleteAccessKey")


def test_retry_call_doubles_its_waits_and_gives_up_after_five_attempts():
    sleeps: list[float] = []
    call = _Flaky(*["ServiceFailure"] * 6)
    with pytest.raises(AwsError) as caught:
        retry_call(call, "iam:DeleteAccessKey", sleeps.append)
    assert str(caught.value) == "iam:DeleteAccessKey failed: ServiceFailure: ServiceFailure!"
    assert (call.calls, sleeps) == (5, [1.0, 2.0, 4.0, 8.0])


def test_retry_call_does_not_retry_other_errors():
    sleeps: list[float] = []
    call = _Flaky("NoSuchEntity")
    with pytest.raises(AwsError) as caught:
        retry_call(call, "iam:DeleteAccessKey", sleeps.append)
    assert (caught.value.code, call.calls, sleeps) == ("NoSuchEntity", 1, [])
    recovering = _Flaky("EntityTemporarilyUnmodifiable")
    retry_call(recovering, "iam:DeleteAccessKey", sleeps.append)
    assert (recovering.calls, sleeps) == (2, [1.0])


# --- reset-login-profile ----------------------------------------------------------------------


def test_reset_login_profile_requires_a_reset_and_never_journals_the_password(
    account, iam, journal_path
):
    plan = only(account.plan(PlanPolicy(password_action="reset")), "stale-pw")
    assert [s.action for s in plan.steps] == [Action.RESET_LOGIN_PROFILE]
    calls = CallLog(iam)
    results = Run(iam, journal_path).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [
        (Outcome.APPLIED, "console password reset to a random one; reset required")
    ]
    (call,) = calls.writes()
    assert call.operation == "UpdateLoginProfile"
    assert call.params["UserName"] == "stale-pw"
    assert call.params["PasswordResetRequired"] == "true"
    password = call.params["Password"]
    assert len(password) == 64
    assert login_profile(iam, "stale-pw")["PasswordResetRequired"] is True
    text = journal_path.read_text(encoding="utf-8")
    assert password not in text
    assert '"password"' not in text.lower()


def test_random_password_has_every_character_class():
    for _ in range(50):
        password = random_password(12)
        assert len(password) == 12
        assert any(c.isupper() for c in password)
        assert any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
        assert any(c in "!@#$%^&*()_+-=[]{}|" for c in password)
    assert random_password() != random_password()
