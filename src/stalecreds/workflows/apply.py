"""The apply workflow: check a plan and its journal, then apply it (or rehearse, ``dry_run``).

Two calls, so that a caller can show the plan and ask before anything changes:
:func:`prepare_apply` reads and checks everything and changes nothing; :func:`apply_plan` re-checks
each step live, acts, and journals every call. ``apply_plan(ApplyRequest(...))`` does both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from stalecreds.aws.live_options import DEFAULT_ROLE_NAME
from stalecreds.errors import AwsError, InputError
from stalecreds.model import Caller
from stalecreds.remediate.apply import (
    DEFAULT_MAX_PLAN_AGE,
    Applier,
    Outcome,
    StepResult,
    check_plan,
    fail_steps,
)
from stalecreds.remediate.journal import (
    Journal,
    check_journal,
    default_journal_path,
    load_journal,
    step_outcomes,
)
from stalecreds.remediate.plan import Plan, Step
from stalecreds.remediate.plan_file import plan_from_json
from stalecreds.workflows.progress import QUIET, Observer
from stalecreds.workflows.scan import now


@dataclass(frozen=True)
class ApplyRequest:
    """What to apply and how.

    ``plan``: a plan file's path, or a :class:`Plan`. ``dry_run`` re-checks every step and says
    what would happen, changing nothing and writing no journal. ``max_plan_age``: a plan made
    longer ago is refused. ``journal``: the journal file (default: one per plan under the user
    data folder). ``profile``/``region``: the caller's boto3 session; steps of other accounts
    than the caller's run through ``role_name`` (``external_id`` when the role requires one).
    """

    plan: Path | Plan
    dry_run: bool = False
    max_plan_age: timedelta = DEFAULT_MAX_PLAN_AGE
    journal: Path | None = None
    profile: str | None = None
    region: str | None = None
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None


@dataclass(frozen=True)
class PreparedApply:
    """A checked plan, ready to apply: nothing has changed yet.

    ``caller`` is who applies (STS ``GetCallerIdentity``); ``journal`` the journal file;
    ``torn_lines`` the journal lines a crash cut short (ignored: live IAM is re-checked for
    their steps); ``previous`` the journal's last record per step.
    """

    request: ApplyRequest
    plan: Plan
    caller: Caller
    journal: Path
    torn_lines: tuple[int, ...]
    previous: dict[str, dict[str, Any]]
    session: Any


@dataclass(frozen=True)
class ApplyResult:
    """Each step's outcome, in plan order; ``journal`` is None for a dry run."""

    results: list[StepResult]
    journal: Path | None

    @property
    def failed(self) -> bool:
        """True when any step failed (an AWS error; the others still ran)."""
        return any(result.outcome is Outcome.FAILED for result in self.results)

    @property
    def changed(self) -> bool:
        """True when any step was applied, or found already done (there is something to undo)."""
        done = (Outcome.APPLIED, Outcome.ALREADY_DONE)
        return any(result.outcome in done for result in self.results)


def prepare_apply(request: ApplyRequest) -> PreparedApply:
    """Read the plan and its journal and check them; change nothing.

    Raises :class:`InputError` (a plan or journal that cannot be read, a journal of another
    plan), :class:`PlanRefused` (too old, from the future, for another account, or not
    consistent with itself), :class:`ConfigError` or :class:`AwsError` (who the caller is).
    """
    from stalecreds.aws.session import caller_identity, make_session

    plan = request.plan if isinstance(request.plan, Plan) else _read_plan(request.plan)
    session = make_session(request.profile, request.region)
    caller = caller_identity(session)
    check_plan(plan, caller, now(), request.max_plan_age)
    journal = request.journal or default_journal_path(plan.plan_id)
    contents = load_journal(journal)
    check_journal(contents.records, str(journal), plan.plan_id)
    previous = step_outcomes(contents.records)
    return PreparedApply(request, plan, caller, journal, contents.torn_lines, previous, session)


def apply_plan(
    prepared: PreparedApply | ApplyRequest, observer: Observer | None = None
) -> ApplyResult:
    """Apply a prepared plan (an :class:`ApplyRequest` is prepared first).

    Each step is re-checked live, acted on and journalled; one step's failure never stops the
    others. Steps run account by account; a step of an account whose role cannot be assumed
    fails with the reason. ``observer.journal_opened`` hears of the journal before the first step.
    """
    if isinstance(prepared, ApplyRequest):
        prepared = prepare_apply(prepared)
    seen = observer or QUIET
    dry_run = prepared.request.dry_run
    if not prepared.plan.steps:
        return ApplyResult([], None)
    journal = None if dry_run else Journal(prepared.journal)
    try:
        if journal is not None:
            journal.record("apply-start", plan_id=prepared.plan.plan_id, caller=prepared.caller.arn)
            seen.journal_opened(prepared.journal)
        results = _apply_by_account(prepared, journal)
    finally:
        if journal is not None:
            journal.close()
    return ApplyResult(results, None if dry_run else prepared.journal)


def _read_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot read the plan: {error}") from None
    return plan_from_json(text, str(path))


def _apply_by_account(prepared: PreparedApply, journal: Journal | None) -> list[StepResult]:
    """Apply the plan's steps account by account, each with a caller of that account."""
    from stalecreds.aws.assume import account_session, partition_of
    from stalecreds.aws.session import caller_identity, iam_client

    request, caller, dry_run = prepared.request, prepared.caller, prepared.request.dry_run
    by_account: dict[str, list[Step]] = {}
    for step in prepared.plan.steps:
        by_account.setdefault(step.account_id, []).append(step)
    results: list[StepResult] = []
    for account_id, steps in by_account.items():
        session = prepared.session
        account_caller = caller
        if account_id != caller.account_id:
            try:
                session = account_session(
                    prepared.session,
                    account_id,
                    partition=partition_of(caller.arn),
                    role_name=request.role_name,
                    external_id=request.external_id,
                )
                account_caller = caller_identity(session)
            except AwsError as error:
                detail = f"account {account_id}: {error}"
                results += fail_steps(steps, detail, None if dry_run else journal)
                continue
        applier = Applier(iam_client(session), account_caller, journal)
        results += applier.apply(
            prepared.plan._replace(steps=tuple(steps)), prepared.previous, dry_run=dry_run
        )
    return results
