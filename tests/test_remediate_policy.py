"""Least privilege: policies/remediate.json is exactly what apply and undo call, and enough.

The live tests switch on moto's IAM authorization (server mode: POST ``/moto-api/reset-auth``
with ``0`` enforces it from the next request) and act as a user holding only the policy. The
switch is process-global, so it is always switched off again (``inf``) in a ``finally``.

moto gap: moto authorizes every IAM action against Resource ``"*"`` (its
``IamResponse._determine_resource`` resolves roles only), so a statement scoped to
``arn:aws:iam::*:user/*`` - as the policy's write statement is - would deny everything. The
``user_resources`` fixture makes moto evaluate calls naming a ``UserName`` against that user's
ARN, as IAM does; nothing else about moto's policy evaluation is changed.
"""

from __future__ import annotations

import contextlib
import copy
import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import boto3
import pytest

from stalecreds.aws.session import CLIENT_CONFIG, caller_identity, iam_client
from stalecreds.model import Caller
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import DEFAULT_MAX_PLAN_AGE, Applier, Outcome, check_plan
from stalecreds.remediate.journal import Journal, read_journal
from stalecreds.remediate.plan import Plan, PlanPolicy
from stalecreds.remediate.undo import UndoOutcome, undo
from tests.conftest import MOTO_ACCOUNT_ID, ROOT
from tests.test_apply import Account, key_status, login_profile, only

POLICY_PATH = ROOT / "policies" / "remediate.json"
REMEDIATOR = "remediator"
REMEDIATOR_ARN = f"arn:aws:iam::{MOTO_ACCOUNT_ID}:user/{REMEDIATOR}"
UNDO_ACTIONS = ("iam:CreateLoginProfile", "iam:ListAccessKeys", "iam:UpdateAccessKey")
"""What undo calls: reactivate (list, update) and --recreate-login-profile (create)."""


def policy() -> dict[str, Any]:
    return json.loads(POLICY_PATH.read_text(encoding="utf-8"))


def allows(document: dict[str, Any], action: str, resource: str) -> bool:
    """Whether an Allow statement matches the action and resource (IAM globbing; no Deny here)."""
    for statement in document["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if (
            statement["Effect"] == "Allow"
            and any(fnmatchcase(action.lower(), a.lower()) for a in actions)
            and any(fnmatchcase(resource, r) for r in resources)
        ):
            return True
    return False


# --- the policy document ----------------------------------------------------------------------

USER_ARN = "arn:aws:iam::111122223333:user/engineering/alice"


@pytest.mark.parametrize("action", list(Action))
def test_every_remedy_is_allowed_by_the_policy(action):
    for iam_action in action.iam_actions:
        assert allows(policy(), iam_action, USER_ARN), iam_action


def test_undo_is_allowed_by_the_policy():
    for iam_action in UNDO_ACTIONS:
        assert allows(policy(), iam_action, USER_ARN), iam_action


def test_the_policy_allows_nothing_more():
    document = policy()
    assert document["Version"] == "2012-10-17"
    granted = sorted(a for s in document["Statement"] for a in s["Action"])
    assert granted == [
        "iam:CreateLoginProfile",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:GetAccessKeyLastUsed",
        "iam:GetLoginProfile",
        "iam:GetUser",
        "iam:ListAccessKeys",
        "iam:ListUserTags",
        "iam:UpdateAccessKey",
        "iam:UpdateLoginProfile",
    ]
    needed = {a for action in Action for a in action.iam_actions} | set(UNDO_ACTIONS)
    assert set(granted) == needed
    assert all(
        s["Effect"] == "Allow" and "*" not in "".join(s["Action"]) for s in document["Statement"]
    )


def test_the_policy_writes_only_to_users():
    writes = {
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:DeleteLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:CreateLoginProfile",
    }
    for action in writes:
        assert allows(policy(), action, USER_ARN)
        assert not allows(policy(), action, "arn:aws:iam::111122223333:role/admin")
        assert not allows(policy(), action, "*")


# --- enforced in moto -------------------------------------------------------------------------


def _reset_auth(server: str, value: str) -> None:
    # text/plain: werkzeug would parse a form body away from moto's request.data.
    request = urllib.request.Request(
        f"{server}/moto-api/reset-auth",
        data=value.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@contextlib.contextmanager
def iam_auth_enforced(server: str) -> Iterator[None]:
    """moto checks every request's signature and policies inside the block."""
    _reset_auth(server, "0")
    try:
        yield
    finally:
        _reset_auth(server, "inf")


@pytest.fixture
def user_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto authorize calls naming a user against the user's ARN (see the module doc)."""
    from moto.iam.responses import IamResponse

    original = IamResponse._determine_resource

    def determine_resource(self: Any) -> str:
        user = self.data.get("UserName")
        if isinstance(user, list):
            user = user[0] if user else None
        if user:
            return f"arn:aws:iam::{self.current_account}:user/{user}"
        return original(self)

    monkeypatch.setattr(IamResponse, "_determine_resource", determine_resource)


class Remediator:
    """An IAM user holding only ``document`` (inline), and an IAM client signing as it."""

    def __init__(self, admin: Any, boto_session: Any, document: dict[str, Any]) -> None:
        admin.create_user(UserName=REMEDIATOR)
        admin.put_user_policy(
            UserName=REMEDIATOR,
            PolicyName="stalecreds-remediate",
            PolicyDocument=json.dumps(document),
        )
        key = admin.create_access_key(UserName=REMEDIATOR)["AccessKey"]
        self.key_id = key["AccessKeyId"]
        self.secret = key["SecretAccessKey"]
        # The shared session's loader keeps service models cached; only the credentials differ.
        self.iam = boto_session.client(
            "iam",
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            config=CLIENT_CONFIG,
        )
        self.caller = Caller(REMEDIATOR_ARN, MOTO_ACCOUNT_ID, self.key_id)


@pytest.fixture
def account(iam: Any) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


def test_the_policy_alone_can_apply_and_undo(
    account, iam, moto_endpoint, boto_session, tmp_path, user_resources
):
    plan = account.plan()
    remediator = Remediator(iam, boto_session, policy())
    session = boto3.Session(
        aws_access_key_id=remediator.key_id,
        aws_secret_access_key=remediator.secret,
        region_name="us-east-1",
    )
    path = tmp_path / "journal.jsonl"
    sleeps: list[float] = []
    with iam_auth_enforced(moto_endpoint):
        caller = caller_identity(session)  # sts:GetCallerIdentity needs no permission
        check_plan(plan, caller, account.now, DEFAULT_MAX_PLAN_AGE)
        with Journal(path) as journal:
            applied = Applier(iam_client(session), caller, journal, sleep=sleeps.append).apply(plan)
    assert caller == remediator.caller
    assert [(r.step.user, r.outcome) for r in applied] == [
        ("stale-pw", Outcome.APPLIED),
        ("stale-key", Outcome.APPLIED),
        ("never-key", Outcome.APPLIED),
        ("old-inactive", Outcome.APPLIED),
    ]
    assert login_profile(iam, "stale-pw") is None
    assert key_status(iam, "stale-key", account.stale_key) == "Inactive"
    assert iam.list_access_keys(UserName="old-inactive")["AccessKeyMetadata"] == []

    with iam_auth_enforced(moto_endpoint), Journal(path) as journal:
        undone = undo(
            read_journal(path),
            remediator.iam,
            journal,
            recreate_login_profile=True,
            sleep=sleeps.append,
        )
    assert [(r.record["user"], r.outcome) for r in undone] == [
        ("stale-pw", UndoOutcome.RECREATED),
        ("stale-key", UndoOutcome.REACTIVATED),
        ("never-key", UndoOutcome.REACTIVATED),
        ("old-inactive", UndoOutcome.CANNOT_UNDO),
    ]
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "never-key", account.never_key) == "Active"
    assert login_profile(iam, "stale-pw") is not None
    assert sleeps == []


def test_moto_enforces_the_policy(account, iam, moto_endpoint, boto_session, user_resources):
    # The switch works: the remediator may not list users, which the policy does not grant.
    remediator = Remediator(iam, boto_session, policy())
    with iam_auth_enforced(moto_endpoint), pytest.raises(Exception, match="iam:ListUsers"):
        remediator.iam.list_users()
    assert [u["UserName"] for u in iam.list_users()["Users"]][-1] == REMEDIATOR


def denied(action: str) -> str:
    return (
        f"{action} failed: AccessDenied: User: {REMEDIATOR_ARN} is not authorized to perform: "
        f"{action}"
    )


def recheck_denied(action: str) -> str:
    return "re-check failed: " + denied(action)


# action removed -> (plan policy, user whose step fails, the step's detail)
NEEDED = {
    "iam:ListAccessKeys": ("deactivate", "stale-key", recheck_denied("iam:ListAccessKeys")),
    "iam:GetAccessKeyLastUsed": (
        "deactivate",
        "stale-key",
        recheck_denied("iam:GetAccessKeyLastUsed"),
    ),
    "iam:ListUserTags": ("deactivate", "stale-key", recheck_denied("iam:ListUserTags")),
    "iam:UpdateAccessKey": ("deactivate", "stale-key", denied("iam:UpdateAccessKey")),
    "iam:DeleteAccessKey": ("delete", "old-inactive", denied("iam:DeleteAccessKey")),
    "iam:GetLoginProfile": ("delete", "stale-pw", recheck_denied("iam:GetLoginProfile")),
    "iam:GetUser": ("delete", "stale-pw", recheck_denied("iam:GetUser")),
    "iam:DeleteLoginProfile": ("delete", "stale-pw", denied("iam:DeleteLoginProfile")),
    "iam:UpdateLoginProfile": ("reset", "stale-pw", denied("iam:UpdateLoginProfile")),
}


def without(action: str) -> dict[str, Any]:
    document = copy.deepcopy(policy())
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    return document


def one_step_plan(account: Account, mode: str, user: str) -> Plan:
    plan_policy = PlanPolicy(password_action="reset") if mode == "reset" else PlanPolicy()
    plan = only(account.plan(plan_policy), user)
    assert len(plan.steps) == 1
    return plan


@pytest.mark.parametrize("action", list(NEEDED))
def test_every_action_of_the_policy_is_needed_by_apply(
    action, account, iam, moto_endpoint, boto_session, tmp_path, user_resources
):
    mode, user, detail = NEEDED[action]
    plan = one_step_plan(account, mode, user)
    remediator = Remediator(iam, boto_session, without(action))
    with iam_auth_enforced(moto_endpoint), Journal(tmp_path / "j.jsonl") as journal:
        results = Applier(remediator.iam, remediator.caller, journal, sleep=_no_wait).apply(plan)
    assert [(r.outcome, r.detail) for r in results] == [(Outcome.FAILED, detail)]
    # Nothing changed.
    assert login_profile(iam, "stale-pw") is not None
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "old-inactive", account.old_inactive) == "Inactive"


def test_without_update_access_key_the_step_fails_naming_it(
    account, iam, moto_endpoint, boto_session, tmp_path, user_resources
):
    plan = one_step_plan(account, "deactivate", "stale-key")
    remediator = Remediator(iam, boto_session, without("iam:UpdateAccessKey"))
    with iam_auth_enforced(moto_endpoint), Journal(tmp_path / "j.jsonl") as journal:
        (result,) = Applier(remediator.iam, remediator.caller, journal, sleep=_no_wait).apply(plan)
    assert result.outcome is Outcome.FAILED
    assert "iam:UpdateAccessKey" in result.detail
    assert result.detail.startswith("iam:UpdateAccessKey failed: AccessDenied: ")
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    (end,) = [r for r in read_journal(tmp_path / "j.jsonl") if r["event"] == "step-end"]
    assert (end["outcome"], end["detail"]) == ("failed", result.detail)


def test_create_login_profile_is_needed_by_undo(
    account, iam, moto_endpoint, boto_session, tmp_path, user_resources
):
    plan = one_step_plan(account, "delete", "stale-pw")
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        (result,) = Applier(iam, Caller("admin", MOTO_ACCOUNT_ID, None), journal).apply(plan)
    assert result.outcome is Outcome.APPLIED
    remediator = Remediator(iam, boto_session, without("iam:CreateLoginProfile"))
    with iam_auth_enforced(moto_endpoint), Journal(path) as journal:
        (undone,) = undo(
            read_journal(path), remediator.iam, journal, recreate_login_profile=True, sleep=_no_wait
        )
    assert (undone.outcome, undone.detail) == (UndoOutcome.FAILED, denied("iam:CreateLoginProfile"))
    assert login_profile(iam, "stale-pw") is None


def _no_wait(seconds: float) -> None:
    raise AssertionError(f"AccessDenied is not retried, yet the run waited {seconds} s")
