"""Apply the root steps of a plan: member root credentials removed through ``sts:AssumeRoot``.

Per member account, two root sessions (:mod:`stalecreds.aws.root_access`): one with
``IAMAuditRootUserCredentials`` re-checks each credential live, one with
``IAMDeleteRootUserCredentials`` removes it. A step is skipped, with the reason, when the
credential no longer exists, its status changed, or it was used (an access key) or signed in
with (the password) after the scan the plan was made from; a password set again after the plan
was made is skipped too. Each step is journalled (``step-start`` before the call, ``step-end``
after) and one failing step never stops the others; an account whose ``AssumeRoot`` is refused
has its steps failed with the error. None of these actions can be undone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from stalecreds.aws.root_access import (
    AUDIT_TASK_POLICY,
    DELETE_TASK_POLICY,
    RootReads,
    regional_sts,
    root_session,
)
from stalecreds.aws.session import iam_client
from stalecreds.errors import AwsError
from stalecreds.model import Caller
from stalecreds.remediate.actions import Action
from stalecreds.remediate.apply import Outcome, StepResult, fail_steps, retry_call
from stalecreds.remediate.journal import Journal
from stalecreds.remediate.plan import Plan, Step

_DONE = {
    Action.DELETE_ROOT_LOGIN_PROFILE: "root password (login profile) deleted",
    Action.DELETE_ROOT_ACCESS_KEY: "root access key deleted",
    Action.DELETE_ROOT_SIGNING_CERTIFICATE: "root signing certificate deleted",
    Action.DEACTIVATE_ROOT_MFA_DEVICE: "root MFA device deactivated",
}


class RootApplier:
    """Applies one account's root steps: ``audit`` re-checks, ``delete`` acts (root sessions).

    ``delete`` is a function that makes the delete session's IAM client on first need (a dry
    run never makes it). ``sleep`` is injectable.
    """

    def __init__(
        self,
        audit: RootReads,
        delete: Callable[[], Any],
        journal: Journal | None,
        *,
        plan_made: datetime,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.audit = audit
        self._delete_factory = delete
        self._delete: Any = None
        self.journal = journal
        self.plan_made = plan_made
        self.sleep = sleep

    def apply(
        self,
        steps: Iterable[Step],
        previous: Mapping[str, Mapping[str, Any]],
        dry_run: bool,
    ) -> list[StepResult]:
        """Apply each step in order; a failure is recorded and the next step runs."""
        return [self._apply_step(step, previous.get(step.step_id), dry_run) for step in steps]

    def _apply_step(
        self, step: Step, earlier: Mapping[str, Any] | None, dry_run: bool
    ) -> StepResult:
        done_before = (
            earlier is not None
            and earlier.get("event") == "step-end"
            and earlier.get("outcome") in (Outcome.APPLIED, Outcome.ALREADY_DONE)
        )
        interrupted = earlier is not None and earlier.get("event") == "step-start"
        try:
            drift = self._drift(step, interrupted or done_before)
        except AwsError as error:
            return self._end(step, Outcome.FAILED, f"re-check failed: {error}", dry_run)
        if done_before:
            if drift is not None and drift[0] is Outcome.ALREADY_DONE:
                return StepResult(step, Outcome.ALREADY_DONE, "applied in an earlier run")
            return StepResult(
                step,
                Outcome.SKIPPED,
                "applied in an earlier run, but the credential is there again; make a new plan",
            )
        if drift is not None:
            return self._end(step, drift[0], drift[1], dry_run)
        if dry_run:
            return StepResult(step, Outcome.WOULD_APPLY, "live state as planned")
        self._record("step-start", step)
        try:
            self._act(step)
        except AwsError as error:
            return self._end(step, Outcome.FAILED, str(error), dry_run)
        return self._end(step, Outcome.APPLIED, _DONE[step.action], dry_run)

    def _drift(self, step: Step, gone_is_done: bool) -> tuple[Outcome, str] | None:
        """Why the step must not run now (with the outcome to record), or ``None``."""
        gone = Outcome.ALREADY_DONE if gone_is_done else Outcome.SKIPPED
        evidence = step.evidence
        if step.action is Action.DELETE_ROOT_LOGIN_PROFILE:
            created = self.audit.login_profile()
            if created is None:
                return gone, "the root user no longer has a console password"
            if created >= self.plan_made:
                return (
                    Outcome.SKIPPED,
                    f"the root password was set again after the plan was made: "
                    f"{created.isoformat()}",
                )
            _, _, used = self.audit.user()
            if used is not None and (evidence.last_used is None or used > evidence.last_used):
                return (
                    Outcome.SKIPPED,
                    f"the root user signed in {used.isoformat()}, after the scan the plan was "
                    "made from",
                )
            return None
        if step.action is Action.DELETE_ROOT_ACCESS_KEY:
            key_id = step.access_key_id or ""
            keys = {k: (status, created) for k, status, created in self.audit.access_keys()}
            if key_id not in keys:
                return gone, f"root access key {key_id} no longer exists"
            status, _ = keys[key_id]
            if step.expect_status is not None and status is not step.expect_status:
                return (
                    Outcome.SKIPPED,
                    f"status is {status.value}, the plan expected {step.expect_status.value}",
                )
            last_use = self.audit.last_used(key_id)
            if last_use is not None and (
                evidence.last_used is None or last_use.at > evidence.last_used
            ):
                return (
                    Outcome.SKIPPED,
                    f"root access key {key_id} was used {last_use.at.isoformat()}, after the "
                    "scan the plan was made from",
                )
            return None
        if step.action is Action.DELETE_ROOT_SIGNING_CERTIFICATE:
            certificates = {c.certificate_id: c for c in self.audit.certificates()}
            certificate = certificates.get(step.credential_id)
            if certificate is None:
                return gone, f"root signing certificate {step.credential_id} no longer exists"
            if step.expect_status is not None and certificate.status is not step.expect_status:
                return (
                    Outcome.SKIPPED,
                    f"status is {certificate.status.value}, the plan expected "
                    f"{step.expect_status.value}",
                )
            return None
        serials = {device.serial_number for device in self.audit.mfa_devices()}
        if step.credential_id not in serials:
            return gone, f"root MFA device {step.credential_id} is no longer active"
        return None

    def _act(self, step: Step) -> None:
        """The root-scoped call of ``step`` (no ``UserName``), retried on 409s and throttling."""
        if self._delete is None:
            self._delete = self._delete_factory()
        iam = self._delete
        key_id = step.access_key_id or ""
        credential_id = step.credential_id or ""
        calls: dict[Action, tuple[str, Callable[[], object]]] = {
            Action.DELETE_ROOT_LOGIN_PROFILE: (
                "iam:DeleteLoginProfile",
                lambda: iam.delete_login_profile(),
            ),
            Action.DELETE_ROOT_ACCESS_KEY: (
                "iam:DeleteAccessKey",
                lambda: iam.delete_access_key(AccessKeyId=key_id),
            ),
            Action.DELETE_ROOT_SIGNING_CERTIFICATE: (
                "iam:DeleteSigningCertificate",
                lambda: iam.delete_signing_certificate(CertificateId=credential_id),
            ),
            Action.DEACTIVATE_ROOT_MFA_DEVICE: (
                "iam:DeactivateMFADevice",
                lambda: iam.deactivate_mfa_device(SerialNumber=credential_id),
            ),
        }
        name, call = calls[step.action]
        retry_call(call, name, self.sleep)

    def _record(self, event: str, step: Step, **fields: Any) -> None:
        if self.journal is not None:
            self.journal.record(
                event,
                step_id=step.step_id,
                account_id=step.account_id,
                user=step.user,
                access_key_id=step.access_key_id,
                credential_id=step.credential_id,
                action=step.action.value,
                **fields,
            )

    def _end(self, step: Step, outcome: Outcome, detail: str, dry_run: bool) -> StepResult:
        if not dry_run:
            self._record("step-end", step, outcome=outcome.value, detail=detail)
        return StepResult(step, outcome, detail)


def apply_root_steps(
    plan: Plan,
    steps: list[Step],
    base: Any,
    caller: Caller,
    journal: Journal | None,
    previous: Mapping[str, Mapping[str, Any]],
    dry_run: bool,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[StepResult]:
    """Apply ``steps`` (root steps of ``plan``) account by account, through ``AssumeRoot``.

    ``base`` is the caller's boto3 session (the management account or the IAM delegated
    administrator). A step for the caller's own account is refused, never applied.
    """
    from stalecreds.aws.assume import partition_of

    partition = partition_of(caller.arn)
    sts = regional_sts(base)
    by_account: dict[str, list[Step]] = {}
    for step in steps:
        by_account.setdefault(step.account_id, []).append(step)
    results: list[StepResult] = []
    for account_id, account_steps in by_account.items():
        if account_id == caller.account_id:
            detail = "the caller's own root user is never acted on"
            results += [StepResult(step, Outcome.SKIPPED, detail) for step in account_steps]
            continue
        try:
            audit = root_session(base, account_id, AUDIT_TASK_POLICY, partition=partition, sts=sts)
        except AwsError as error:
            detail = f"account {account_id}: {error}"
            results += fail_steps(account_steps, detail, None if dry_run else journal)
            continue

        def delete(account_id: str = account_id) -> Any:
            return iam_client(
                root_session(base, account_id, DELETE_TASK_POLICY, partition=partition, sts=sts)
            )

        applier = RootApplier(
            RootReads(iam_client(audit)), delete, journal, plan_made=plan.created, sleep=sleep
        )
        results += applier.apply(account_steps, previous, dry_run)
    return results
