"""Apply a plan to live IAM: re-check each step, act, journal, and let no failure spread.

Before any step: the plan must be younger than ``max_plan_age``, for the caller's account, and
consistent with itself (:func:`check_plan`). Before each step, the live state must still be what
the plan expects — the user exists; the key is still one of the user's, has the planned status,
was created and last used before the window start; the login profile still exists, was set and
last used before it; the user does not carry the plan's exemption tag — or the step is skipped
with the reason. The access key the run signs with is never touched. Each step stands alone: a
failure is recorded and the next step runs. ``EntityTemporarilyUnmodifiable``,
``ConcurrentModification`` and ``DeleteConflict`` (HTTP 409, which botocore does not retry) are
retried with backoff here (``shared/cases/api-cases.md`` case 10); throttling is botocore's. A
step for another account than the caller's is skipped.

Re-running a plan skips steps its journal shows as applied, once live IAM confirms it (one
read; a reset password cannot come back, so it is not re-read); a step that started but never
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

from stalecreds.aws.iam_reads import IamReads
from stalecreds.aws.key_ids import ListedKey
from stalecreds.aws.session import aws_errors
from stalecreds.errors import AwsError
from stalecreds.errors import PlanRefused as PlanRefused  # its home before errors.py held it
from stalecreds.model import Caller, CredentialKind, Status
from stalecreds.remediate.actions import Action
from stalecreds.remediate.journal import Journal
from stalecreds.remediate.plan import Plan, PlanPolicy, Step, planned_action, step_id_of
from stalecreds.rules.facts import ROOT_USER_NAME

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
    consistent with itself (an edited window, a root step, a step twice, an action its policy
    and the key's planned status do not give, a step ID or ARN that does not match its user).
    """
    age = now - plan.created
    if age > max_age:
        raise PlanRefused(
            f"the plan was made {_span(age)} ago ({plan.created.isoformat()}), more than "
            f"--max-plan-age allows ({max_age.total_seconds() / 3600:g} h); make a new plan"
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
        _check_step(step, plan)
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


def _check_step(step: Step, plan: Plan) -> None:
    """Refuse a step whose fields do not agree with each other or with the plan's policy."""
    expected = planned_action(step.kind, step.expect_status, plan.policy)
    if step.action is not expected:
        status = "" if step.expect_status is None else f" {step.expect_status.value}"
        what = (
            "a console password"
            if step.kind is CredentialKind.PASSWORD
            else f"an{status} access key"
        )
        policy = plan.policy
        raise PlanRefused(
            f"step {step.step_id}: {step.action.value} for {what} is not what the plan's policy "
            f"gives (key_action {policy.key_action}, password_action "
            f"{policy.password_action}); was it edited?"
        )
    if (step.kind is CredentialKind.PASSWORD) != (step.access_key_id is None):
        raise PlanRefused(
            f"step {step.step_id}: access_key_id does not fit its kind; was it edited?"
        )
    if step.step_id != step_id_of(step.account_id, step.user, step.access_key_id, step.action):
        raise PlanRefused(
            f"step {step.step_id} does not match its account, user, key and action "
            f"({step.account_id}, {step.user}, {step.access_key_id or 'password'}, "
            f"{step.action.value}); was it edited?"
        )
    parts = step.arn.split(":")
    resource = parts[5] if len(parts) == 6 else ""
    if parts[4:5] != [step.account_id] or not (
        resource.startswith("user/") and resource.endswith(f"/{step.user}")
    ):
        raise PlanRefused(
            f"step {step.step_id}: arn {step.arn} is not user {step.user}'s in account "
            f"{step.account_id}; was it edited?"
        )


def _span(duration: timedelta) -> str:
    """A duration in words: seconds under 2 minutes, minutes under 2 hours, else hours."""
    seconds = int(duration.total_seconds())
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    return f"{duration.total_seconds() / 3600:.0f} hours"


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
        self._exempt_tag = PlanPolicy().exempt_tag

    def apply(
        self,
        plan: Plan,
        previous: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        dry_run: bool = False,
    ) -> list[StepResult]:
        """Apply every step of ``plan`` in order; a step's failure never stops the others.

        ``previous`` is :func:`~stalecreds.remediate.journal.step_outcomes` of the plan's own
        journal
        (see :func:`~stalecreds.remediate.journal.check_journal`).
        """
        previous = previous or {}
        self._plan_made = plan.created
        self._exempt_tag = plan.policy.exempt_tag
        results = []
        for step in plan.steps:
            earlier = previous.get(step.step_id)
            results.append(self._apply_step(step, earlier, dry_run))
        return results

    def _apply_step(
        self, step: Step, earlier: Mapping[str, Any] | None, dry_run: bool
    ) -> StepResult:
        if earlier is not None and earlier.get("event") == "undo-end":
            return StepResult(
                step,
                Outcome.SKIPPED,
                "undone after an earlier apply; make a new plan to act on it again",
            )
        done_before = (
            earlier is not None
            and earlier.get("event") == "step-end"
            and earlier.get("outcome") in (Outcome.APPLIED, Outcome.ALREADY_DONE)
        )
        refusal = self._refusal(step)
        if refusal is not None:
            if done_before:  # keep the journal's record of the earlier run: nothing is recorded
                return StepResult(step, Outcome.SKIPPED, f"{refusal} (applied in an earlier run)")
            return self._end(step, Outcome.SKIPPED, refusal, dry_run)
        if done_before:
            try:
                return self._confirm_done(step)
            except AwsError as error:
                return StepResult(step, Outcome.FAILED, f"re-check failed: {error}")
        interrupted = earlier is not None and earlier.get("event") == "step-start"
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

    def _refusal(self, step: Step) -> str | None:
        """Why this Applier never acts on ``step``, whatever IAM says; ``None`` when it may."""
        if step.user == ROOT_USER_NAME or step.arn.endswith(":root"):
            return "the root user is never acted on"
        if step.account_id != self.caller.account_id:
            return (
                f"the step is for account {step.account_id}; the credentials are for account "
                f"{self.caller.account_id}"
            )
        if step.access_key_id is not None and step.access_key_id == self.caller.access_key_id:
            return "this is the key the run signs with"
        return None

    def _confirm_done(self, step: Step) -> StepResult:
        """The outcome of a step the journal shows as applied, as live IAM confirms it.

        Nothing is journalled: the earlier run's record stays the step's record. A state that
        is no longer the step's result (a key Active again, a password set again) is a skip,
        never a silent redo: someone chose it after the apply.
        """
        earlier = "applied in an earlier run"
        if step.action is Action.RESET_LOGIN_PROFILE:
            return StepResult(step, Outcome.ALREADY_DONE, earlier)  # the old password is gone
        if step.action is Action.DELETE_LOGIN_PROFILE:
            created = self.reads.login_profile_created(step.user)
            if created is None:
                return StepResult(step, Outcome.ALREADY_DONE, earlier)
            return StepResult(
                step,
                Outcome.SKIPPED,
                f"{earlier}, but the user has a console password again (set "
                f"{created.isoformat()}); make a new plan to act on it again",
            )
        keys = self._keys(step.user)
        key = None if keys is None else keys.get(step.access_key_id or "")
        if key is None:
            if step.action is Action.DELETE_ACCESS_KEY:
                return StepResult(step, Outcome.ALREADY_DONE, earlier)
            return StepResult(
                step, Outcome.ALREADY_DONE, f"{earlier}; the key has been deleted since"
            )
        if step.action is Action.DELETE_ACCESS_KEY:
            return StepResult(
                step,
                Outcome.SKIPPED,
                f"the journal says an earlier run deleted it, but access key "
                f"{step.access_key_id} exists ({key.status.value}); nothing was done",
            )
        if key.status is Status.INACTIVE:
            return StepResult(step, Outcome.ALREADY_DONE, earlier)
        return StepResult(
            step,
            Outcome.SKIPPED,
            f"{earlier}, but the key is Active again; make a new plan to act on it again",
        )

    def _keys(self, user: str) -> dict[str, ListedKey] | None:
        """The user's access keys by ID (``iam:ListAccessKeys``); ``None`` when no such user."""
        try:
            return {key.access_key_id: key for key in self.reads.list_access_keys(user)}
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return None
            raise

    def _drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        """Why the step must not run now (with the outcome to record), or ``None``.

        The exemption tag (``iam:ListUserTags``) is read last: only for a step about to run.
        """
        if step.action in (Action.DEACTIVATE_ACCESS_KEY, Action.DELETE_ACCESS_KEY):
            drift = self._key_drift(step, interrupted)
        else:
            drift = self._password_drift(step, interrupted)
        if drift is not None:
            return drift
        tags = self.reads.user_tags(step.user)
        if self._exempt_tag in tags:
            return (
                Outcome.SKIPPED,
                f"user {step.user} is exempt now: tag {self._exempt_tag} = "
                f"{tags[self._exempt_tag]!r}",
            )
        return None

    def _key_drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        key_id = step.access_key_id or ""
        keys = self._keys(step.user)
        if keys is None:
            return Outcome.SKIPPED, f"user {step.user} does not exist"
        key = keys.get(key_id)
        if key is None:
            if interrupted and step.action is Action.DELETE_ACCESS_KEY:
                return Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"
            return Outcome.SKIPPED, self._missing_key(key_id, step.user)
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
        cutoff = step.unused_before.isoformat()
        if key.created >= step.unused_before:
            return (
                Outcome.SKIPPED,
                f"created {key.created.isoformat()}, after the plan's cut-off {cutoff}: a new "
                "key, not an unused one",
            )
        last_use = self.reads.access_key_last_used(key_id)
        if last_use is not None and last_use.at >= step.unused_before:
            return Outcome.SKIPPED, _used_since(f"last used {last_use.at.isoformat()}", step)
        return None

    def _missing_key(self, key_id: str, user: str) -> str:
        """Why ``key_id`` is not among ``user``'s keys, in words.

        Its owner, as ``iam:GetAccessKeyLastUsed`` names it, or that it no longer exists; when
        that call fails otherwise, only that the key is not the user's.
        """
        try:
            with aws_errors("iam:GetAccessKeyLastUsed"):
                owner = self.iam.get_access_key_last_used(AccessKeyId=key_id).get("UserName")
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return f"access key {key_id} no longer exists"
            return f"access key {key_id} is not one of user {user}'s keys"
        if owner and owner != user:
            return f"access key {key_id} belongs to user {owner}, not to {user}"
        return f"access key {key_id} no longer exists"

    def _password_drift(self, step: Step, interrupted: bool) -> tuple[Outcome, str] | None:
        created = self.reads.login_profile_created(step.user)
        if created is None:
            # GetLoginProfile answers NoSuchEntity for a missing user too: ask GetUser.
            if not self._user_exists(step.user):
                return Outcome.SKIPPED, f"user {step.user} does not exist"
            if interrupted and step.action is Action.DELETE_LOGIN_PROFILE:
                return Outcome.ALREADY_DONE, "deleted before the earlier run was interrupted"
            return Outcome.SKIPPED, "the user no longer has a console password"
        if self._plan_made is not None and created >= self._plan_made:
            return (
                Outcome.SKIPPED,
                f"the console password was set again after the plan was made: "
                f"{created.isoformat()}",
            )
        if created >= step.unused_before:
            return (
                Outcome.SKIPPED,
                f"the console password was set {created.isoformat()}, after the plan's cut-off "
                f"{step.unused_before.isoformat()}: a new password, not an unused one",
            )
        used = self.reads.password_last_used(step.user)
        if used is not None and used >= step.unused_before:
            return Outcome.SKIPPED, _used_since(f"signed in {used.isoformat()}", step)
        return None

    def _user_exists(self, user: str) -> bool:
        """Whether IAM has the user (``iam:GetUser``)."""
        try:
            with aws_errors("iam:GetUser"):
                self.iam.get_user(UserName=user)
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return False
            raise
        return True

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


def _used_since(used: str, step: Step) -> str:
    """``used`` (a use and its time), said against the plan's cut-off, which it is not before."""
    return f"{used}, on or after the plan's cut-off {step.unused_before.isoformat()}"


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
