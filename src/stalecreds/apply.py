"""Apply a plan to live IAM: re-check each step, act, journal, and let no failure spread.

Before any step: the plan must be younger than ``max_plan_age`` and for the caller's account.
Before each step, the live state must still be what the plan expects — the key still exists,
still has the planned status and was not used since the window start; the login profile still
exists and the password was not used since — or the step is skipped with the reason. The access
key the run signs with is never touched. Each step stands alone: a failure is recorded and the
next step runs. ``EntityTemporarilyUnmodifiable``, ``ConcurrentModification`` and
``DeleteConflict`` (HTTP 409, which botocore does not retry) are retried with backoff here
(``shared/cases/api-cases.md`` case 10); throttling is botocore's. A step for another account
than the caller's is skipped.

Re-running a plan skips steps its journal shows as applied; a step that started but never
ended (an interrupted run) counts as done when the live state already is its result.
"""

from __future__ import annotations

import enum
import secrets
import string
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from stalecreds.aws import AwsError, aws_errors
from stalecreds.errors import StalecredsError
from stalecreds.facts import ROOT_USER_NAME
from stalecreds.iam_reads import IamReads
from stalecreds.journal import Journal
from stalecreds.model import Status
from stalecreds.plan import Caller, Plan, Step
from stalecreds.remediation import Action

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

DEFAULT_MAX_PLAN_AGE = timedelta(hours=24)
"""A plan older than this is refused: IAM has moved on since it was reviewed."""

RETRIED_CODES = frozenset(
    {
        "EntityTemporarilyUnmodifiable",
        "ConcurrentModification",
        "DeleteConflict",
        "Throttling",
        "ServiceFailure",
    }
)
"""Error codes a remedy is retried on (with backoff) before the step is recorded as failed."""

ATTEMPTS = 5

CLOCK_SKEW = timedelta(minutes=5)
"""How far a plan's times may be ahead of this machine's clock."""


class PlanRefused(StalecredsError):
    """The plan may not be applied at all: too old, or made for another account."""


class Outcome(enum.StrEnum):
    """What happened to one step."""

    APPLIED = "applied"
    ALREADY_DONE = "already-done"
    SKIPPED = "skipped"
    FAILED = "failed"
    WOULD_APPLY = "would-apply"


class StepResult(NamedTuple):
    """One step's outcome and a sentence saying why."""

    step: Step
    outcome: Outcome
    detail: str


def check_plan(plan: Plan, caller: Caller, now: datetime, max_age: timedelta) -> None:
    """Refuse a plan that may not be applied. Raises :class:`PlanRefused`.

    Refused: a plan older than ``max_age`` or from the future, for another account, or not
    consistent with itself (an edited window, a root step, a step twice).
    """
    age = now - plan.created
    if age > max_age:
        hours = age.total_seconds() / 3600
        raise PlanRefused(
            f"the plan was made {hours:.0f} hours ago ({plan.created.isoformat()}), more than "
            f"--max-plan-age allows ({max_age.total_seconds() / 3600:.0f} h); make a new plan"
        )
    if plan.created > now + CLOCK_SKEW:
        raise PlanRefused(f"the plan says it was made {plan.created.isoformat()}, in the future")
    if plan.as_of > plan.created + CLOCK_SKEW:
        raise PlanRefused("the plan judges as of a time after it was made")
    windows = {
        "password": plan.as_of - timedelta(days=plan.thresholds.password_days),
        "access_key": plan.as_of - timedelta(days=plan.thresholds.access_key_days),
    }
    seen: set[str] = set()
    for step in plan.steps:
        if step.step_id in seen:
            raise PlanRefused(f"step {step.step_id} appears twice in the plan")
        seen.add(step.step_id)
        if step.unused_before != windows[step.kind.value]:
            raise PlanRefused(
                f"step {step.step_id}: unused_before {step.unused_before.isoformat()} is not the "
                f"plan's window start {windows[step.kind.value].isoformat()}; was it edited?"
            )
        if step.user == ROOT_USER_NAME or step.arn.endswith(":root"):
            raise PlanRefused(f"step {step.step_id} acts on the root user, which is never done")
    stray = {step.account_id for step in plan.steps} - {plan.account_id}
    if plan.account_id and stray:
        raise PlanRefused(
            f"the plan is for account {plan.account_id} but has steps for account "
            f"{min(stray)}; was it edited?"
        )
    # A plan made live names its maker: apply with credentials of the same account (steps in
    # other accounts go through the role). A plan made from a report file names none.
    if plan.caller is not None and plan.caller.account_id != caller.account_id:
        raise PlanRefused(
            f"the plan was made from account {plan.caller.account_id} but the credentials are "
            f"for account {caller.account_id} ({caller.arn})"
        )
    if plan.caller is None and plan.account_id and plan.account_id != caller.account_id:
        raise PlanRefused(
            f"the plan is for account {plan.account_id} but the credentials are for account "
            f"{caller.account_id} ({caller.arn})"
        )


def random_password(length: int = 64) -> str:
    """A password nobody will see: letters, digits and symbols, one of each at least."""
    symbols = "!@#$%^&*()_+-=[]{}|"
    alphabet = string.ascii_letters + string.digits + symbols
    chars = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(symbols),
    ]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class Applier:
    """Applies steps through one IAM client, journalling each. ``sleep`` is injectable."""

    def __init__(
        self,
        iam: IAMClient,
        caller: Caller,
        journal: Journal | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.iam = iam
        self.reads = IamReads(iam)
        self.caller = caller
        self.journal = journal
        self.sleep = sleep
        self._plan_made: datetime | None = None

    def apply(
        self,
        plan: Plan,
        previous: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[StepResult]:
        """Apply every step of ``plan`` in order; a step's failure never stops the others.

        ``previous`` is :func:`~stalecreds.journal.step_outcomes` of the plan's journal.
        """
        previous = previous or {}
        self._plan_made = plan.created
        results = []
        for step in plan.steps:
            earlier = previous.get(step.step_id)
            results.append(self._apply_step(step, earlier, dry_run))
        return results

    def _apply_step(
        self, step: Step, earlier: Mapping[str, Any] | None, dry_run: bool
    ) -> StepResult:
        if (
            earlier is not None
            and earlier.get("event") == "step-end"
            and earlier.get("outcome") in (Outcome.APPLIED, Outcome.ALREADY_DONE)
        ):
            return StepResult(step, Outcome.ALREADY_DONE, "applied in an earlier run")
        if earlier is not None and earlier.get("event") == "undo-end":
            return StepResult(
                step,
                Outcome.SKIPPED,
                "undone after an earlier apply; make a new plan to act on it again",
            )
        if step.user == ROOT_USER_NAME or step.arn.endswith(":root"):
            return self._end(step, Outcome.SKIPPED, "the root user is never acted on", dry_run)
        interrupted = earlier is not None and earlier.get("event") == "step-start"
        if step.account_id != self.caller.account_id:
            detail = (
                f"the step is for account {step.account_id}; the credentials are for account "
                f"{self.caller.account_id}"
            )
            return self._end(step, Outcome.SKIPPED, detail, dry_run)
        if step.access_key_id is not None and step.access_key_id == self.caller.access_key_id:
            return self._end(step, Outcome.SKIPPED, "this is the key the run signs with", dry_run)
        try:
            drift = self._drift(step, interrupted)
        except AwsError as error:
            return self._end(step, Outcome.FAILED, f"re-check failed: {error}", dry_run)
        if drift is not None:
            outcome, detail = drift
            return self._end(step, outcome, detail, dry_run)
        if dry_run:
            return StepResult(step, Outcome.WOULD_APPLY, "live state as planned")
        self._record("step-start", step)
        try:
            self._act(step)
        except AwsError as error:
            return self._end(step, Outcome.FAILED, str(error), dry_run)
        return self._end(step, Outcome.APPLIED, _DONE[step.action], dry_run)

    def _drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        """Why the step must not run now (with the outcome to record), or ``None``."""
        if step.action in (Action.DEACTIVATE_ACCESS_KEY, Action.DELETE_ACCESS_KEY):
            return self._key_drift(step, interrupted)
        return self._password_drift(step, interrupted)

    def _key_drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        key_id = step.access_key_id or ""
        listed = {key.access_key_id: key for key in self.reads.list_access_keys(step.user)}
        key = listed.get(key_id)
        if key is None:
            if interrupted and step.action is Action.DELETE_ACCESS_KEY:
                return Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"
            return Outcome.SKIPPED, f"access key {key_id} no longer exists"
        if (
            interrupted
            and step.action is Action.DEACTIVATE_ACCESS_KEY
            and key.status is Status.INACTIVE
        ):
            return Outcome.ALREADY_DONE, "deactivated before the earlier run was interrupted"
        if step.expect_status is not None and key.status is not step.expect_status:
            return (
                Outcome.SKIPPED,
                f"status is {key.status.value}, the plan expected {step.expect_status.value}",
            )
        last_use = self.reads.access_key_last_used(key_id)
        if last_use is not None and last_use.at >= step.unused_before:
            return Outcome.SKIPPED, f"used since the plan was made: {last_use.at.isoformat()}"
        return None

    def _password_drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        created = self.reads.login_profile_created(step.user)
        if created is None:
            if interrupted and step.action is Action.DELETE_LOGIN_PROFILE:
                return Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"
            return Outcome.SKIPPED, "the user no longer has a console password"
        if self._plan_made is not None and created >= self._plan_made:
            return (
                Outcome.SKIPPED,
                f"the console password was set again after the plan was made: "
                f"{created.isoformat()}",
            )
        used = self.reads.password_last_used(step.user)
        if used is not None and used >= step.unused_before:
            return Outcome.SKIPPED, f"signed in since the plan was made: {used.isoformat()}"
        return None

    def _act(self, step: Step) -> None:
        """Make the IAM call of ``step``, retrying the codes in :data:`RETRIED_CODES`."""
        iam = self.iam
        user = step.user
        key_id = step.access_key_id or ""
        calls: dict[Action, tuple[str, Callable[[], object]]] = {
            Action.DEACTIVATE_ACCESS_KEY: (
                "iam:UpdateAccessKey",
                lambda: iam.update_access_key(UserName=user, AccessKeyId=key_id, Status="Inactive"),
            ),
            Action.DELETE_ACCESS_KEY: (
                "iam:DeleteAccessKey",
                lambda: iam.delete_access_key(UserName=user, AccessKeyId=key_id),
            ),
            Action.DELETE_LOGIN_PROFILE: (
                "iam:DeleteLoginProfile",
                lambda: iam.delete_login_profile(UserName=user),
            ),
            Action.RESET_LOGIN_PROFILE: (
                "iam:UpdateLoginProfile",
                lambda: iam.update_login_profile(
                    UserName=user, Password=random_password(), PasswordResetRequired=True
                ),
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
                action=step.action.value,
                **fields,
            )

    def _end(self, step: Step, outcome: Outcome, detail: str, dry_run: bool) -> StepResult:
        if not dry_run:
            self._record("step-end", step, outcome=outcome.value, detail=detail)
        return StepResult(step, outcome, detail)


def fail_steps(steps: Iterable[Step], detail: str, journal: Journal | None) -> list[StepResult]:
    """Record ``steps`` as failed without touching IAM (e.g. their account's role failed)."""
    results = []
    for step in steps:
        if journal is not None:
            journal.record(
                "step-end",
                step_id=step.step_id,
                account_id=step.account_id,
                user=step.user,
                access_key_id=step.access_key_id,
                action=step.action.value,
                outcome=Outcome.FAILED.value,
                detail=detail,
            )
        results.append(StepResult(step, Outcome.FAILED, detail))
    return results


def retry_call(call: Callable[[], object], action: str, sleep: Callable[[float], None]) -> None:
    """Call, retrying :data:`RETRIED_CODES` up to :data:`ATTEMPTS` times with doubling waits.

    Raises :class:`AwsError` for other errors, or the last one when attempts run out.
    """
    wait = 1.0
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with aws_errors(action):
                call()
            return
        except AwsError as error:
            if error.code not in RETRIED_CODES or attempt == ATTEMPTS:
                raise
        sleep(wait)
        wait *= 2


_DONE = {
    Action.DEACTIVATE_ACCESS_KEY: "access key deactivated",
    Action.DELETE_ACCESS_KEY: "access key deleted",
    Action.DELETE_LOGIN_PROFILE: "console password (login profile) deleted",
    Action.RESET_LOGIN_PROFILE: "console password reset to a random one; reset required",
}
