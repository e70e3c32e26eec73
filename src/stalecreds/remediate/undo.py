"""Undo an apply from its journal: reactivate deactivated keys; say plainly what cannot be undone.

Deleted access keys and deleted or reset passwords cannot be restored: IAM keeps no copy. With
``recreate_login_profile``, a user whose login profile was deleted gets a new one with a
one-time password (``PasswordResetRequired``) that is returned for the terminal only — never
written to the journal or a log.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from stalecreds.aws.iam_reads import IamReads
from stalecreds.errors import AwsError
from stalecreds.model import Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import random_password, retry_call
from stalecreds.remediate.journal import Journal

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


class UndoOutcome(enum.StrEnum):
    """What undo did for one applied step."""

    REACTIVATED = "reactivated"
    RECREATED = "recreated"
    NOTHING_TO_DO = "nothing-to-do"
    CANNOT_UNDO = "cannot-undo"
    FAILED = "failed"


class UndoResult(NamedTuple):
    """One applied step's undo: its journal record, the outcome and why.

    ``one_time_password`` is set only for a recreated login profile, for the terminal only.
    """

    record: dict[str, Any]
    outcome: UndoOutcome
    detail: str
    one_time_password: str | None = None


_FINAL = (UndoOutcome.REACTIVATED, UndoOutcome.RECREATED)


def applied_steps(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of steps applied (or possibly applied) and not undone since, in order.

    Read in journal order: a step applied again after an undo is pending again; a step that
    started but never ended (an interrupted apply) may have been applied, so it is included
    and undo checks IAM before acting.
    """
    pending: dict[str, dict[str, Any]] = {}
    for record in records:
        step_id = str(record.get("step_id"))
        event = record["event"]
        applied = event == "step-end" and record.get("outcome") in ("applied", "already-done")
        if event == "step-start" or applied:
            pending[step_id] = record
        elif event == "step-end" or (event == "undo-end" and record.get("outcome") in _FINAL):
            pending.pop(step_id, None)
    return list(pending.values())


def undo(
    records: list[dict[str, Any]],
    iam: IAMClient,
    journal: Journal | None,
    *,
    recreate_login_profile: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[UndoResult]:
    """Undo every applied step in ``records`` that can be undone.

    One failure never stops the others. ``journal`` (the same file) gets ``undo-start`` and
    ``undo-end`` records.
    """
    reads = IamReads(iam)
    results = []
    for record in applied_steps(records):
        result = _undo_one(record, iam, reads, recreate_login_profile, sleep, journal)
        if journal is not None and result.outcome is not UndoOutcome.CANNOT_UNDO:
            journal.record(
                "undo-end",
                step_id=record.get("step_id"),
                user=record.get("user"),
                access_key_id=record.get("access_key_id"),
                action=record.get("action"),
                outcome=result.outcome.value,
                detail=result.detail,
            )
        results.append(result)
    return results


def _undo_one(
    record: dict[str, Any],
    iam: IAMClient,
    reads: IamReads,
    recreate: bool,
    sleep: Callable[[float], None],
    journal: Journal | None,
) -> UndoResult:
    action = record.get("action")
    user = str(record.get("user"))
    key_id = str(record.get("access_key_id"))
    try:
        if action == Action.DEACTIVATE_ACCESS_KEY:
            keys = {k.access_key_id: k for k in reads.list_access_keys(user)}
            if key_id not in keys:
                return UndoResult(record, UndoOutcome.CANNOT_UNDO, "the key no longer exists")
            if keys[key_id].status is Status.ACTIVE:
                return UndoResult(record, UndoOutcome.NOTHING_TO_DO, "the key is already Active")
            if journal is not None:
                journal.record("undo-start", step_id=record.get("step_id"), user=user)
            retry_call(
                lambda: iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Active"),
                "iam:UpdateAccessKey",
                sleep,
            )
            return UndoResult(record, UndoOutcome.REACTIVATED, "access key reactivated")
        if action == Action.DELETE_LOGIN_PROFILE and recreate:
            if reads.login_profile_created(user) is not None:
                return UndoResult(
                    record, UndoOutcome.NOTHING_TO_DO, "the user already has a console password"
                )
            password = random_password(24)
            if journal is not None:
                journal.record("undo-start", step_id=record.get("step_id"), user=user)
            retry_call(
                lambda: iam.create_login_profile(
                    UserName=user, Password=password, PasswordResetRequired=True
                ),
                "iam:CreateLoginProfile",
                sleep,
            )
            return UndoResult(
                record,
                UndoOutcome.RECREATED,
                "new console password set; the user must change it at first sign-in",
                password,
            )
    except AwsError as error:
        return UndoResult(record, UndoOutcome.FAILED, str(error))
    return UndoResult(record, UndoOutcome.CANNOT_UNDO, _CANNOT.get(str(action), "not undoable"))


_CANNOT = {
    Action.DELETE_ACCESS_KEY.value: "a deleted access key cannot be restored; create a new one",
    Action.DELETE_LOGIN_PROFILE.value: (
        "a deleted password cannot be restored; --recreate-login-profile sets a new one"
    ),
    Action.RESET_LOGIN_PROFILE.value: (
        "the old password is unknown to IAM; an administrator can set a new one"
    ),
    Action.DELETE_ROOT_LOGIN_PROFILE.value: (
        "a deleted root password cannot be restored; root password recovery (by e-mail to the "
        "account's root address) sets a new one once the management account allows it again "
        "(sts:AssumeRoot with IAMCreateRootUserPassword)"
    ),
    Action.DELETE_ROOT_ACCESS_KEY.value: "a deleted root access key cannot be restored",
    Action.DELETE_ROOT_SIGNING_CERTIFICATE.value: (
        "a deleted root signing certificate cannot be restored; upload a new one as root"
    ),
    Action.DEACTIVATE_ROOT_MFA_DEVICE.value: (
        "a deactivated root MFA device must be enabled again by the root user"
    ),
}
