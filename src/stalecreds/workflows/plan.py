"""The plan workflow: scan, then plan a remedy for each finding that may be acted on.

Planning changes nothing in AWS: the plan is for review, then :func:`~stalecreds.workflows.
apply.apply_plan`. Write it with :func:`stalecreds.remediate.plan_to_json`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stalecreds.errors import RequestError
from stalecreds.formats.base import ScanOutput
from stalecreds.model import Caller, CredentialKind, Status
from stalecreds.remediate.journal import deactivations
from stalecreds.remediate.plan import (
    DEFAULT_QUARANTINE_DAYS,
    Plan,
    PlanPolicy,
    build_plan,
    planned_action,
)
from stalecreds.workflows.progress import Observer
from stalecreds.workflows.scan import ScanRequest, now, run_scan


@dataclass(frozen=True)
class PlanRequest:
    """What to plan: the ``scan`` to plan from, and the policy.

    ``key_action``: ``deactivate`` or ``delete`` an unused Active access key;
    ``password_action``: ``delete`` the login profile or ``reset`` it to a random password;
    ``quarantine_days``: days an Inactive, unused key stays before it is planned for deletion.
    When keys stopped working is read from the journals of earlier applies in
    ``journal_folder`` (default: under the user data folder) and, with ``history`` (a history
    database path), from the first scan that saw each key Inactive; the later counts.
    """

    scan: ScanRequest = field(default_factory=ScanRequest)
    key_action: str = "deactivate"
    password_action: str = "delete"
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS
    history: Path | None = None
    journal_folder: Path | None = None

    @property
    def policy(self) -> PlanPolicy:
        """The plan's policy (its exemption tag is the scan's)."""
        return PlanPolicy(
            self.key_action, self.password_action, self.quarantine_days, self.scan.exempt_tag
        )

    def check(self) -> None:
        """Raise :class:`RequestError` for an unknown action or a negative quarantine.

        Also for a scan request that contradicts itself (:meth:`ScanRequest.check`).
        """
        self.scan.check()
        if planned_action(CredentialKind.PASSWORD, None, self.policy) is None:
            raise RequestError(f"unknown password action {self.password_action!r}")
        if planned_action(CredentialKind.ACCESS_KEY, Status.ACTIVE, self.policy) is None:
            raise RequestError(f"unknown key action {self.key_action!r}")
        if self.quarantine_days < 0:
            raise RequestError("--quarantine-days must not be negative")


@dataclass(frozen=True)
class PlanResult:
    """A plan and the scan it came from.

    ``scan`` has been read whole: its ``summary``, ``warnings`` and, for many accounts,
    ``failures`` (accounts not scanned: nothing is planned for them) stay available.
    ``errors`` are the failed IAM lookups (their credentials are ``unknown``, never planned).
    """

    plan: Plan
    scan: ScanOutput

    @property
    def failures(self) -> tuple[Any, ...]:
        """The accounts (or report files) that could not be scanned."""
        failures: tuple[Any, ...] = getattr(self.scan, "failures", ())
        return failures

    @property
    def errors(self) -> tuple[str, ...]:
        """The failed IAM lookups of a live scan (none for a report file)."""
        errors: tuple[str, ...] = getattr(self.scan, "errors", ())
        return errors


def make_plan(request: PlanRequest, observer: Observer | None = None) -> PlanResult:
    """Scan as ``request.scan`` asks and plan remedies; nothing is changed in AWS.

    For a live scan, the caller (STS ``GetCallerIdentity`` and the access key ID it signs with)
    goes into the plan, so that apply never touches that key. Raises what
    :func:`~stalecreds.workflows.scan.run_scan` raises, and :class:`HistoryError` when
    ``history`` cannot be read.
    """
    request.check()
    caller = _caller(request.scan) if request.scan.live else None
    with run_scan(request.scan, observer) as result:
        assessments = list(result)
    made = now()
    plan = build_plan(
        assessments,
        plan_id=f"{made:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}",
        created=made,
        as_of=result.as_of,
        thresholds=result.thresholds,
        policy=request.policy,
        caller=caller,
        deactivated_at=stopped_working(request.history, request.journal_folder),
    )
    return PlanResult(plan, result)


def stopped_working(
    history: Path | None, journal_folder: Path | None = None
) -> dict[str, datetime]:
    """When keys stopped working, by access key ID; the later of the sources per key.

    Sources: the journals' deactivations and, with ``history``, the first scan that saw each
    key Inactive. Raises :class:`HistoryError` when the history cannot be read.
    """
    known: dict[str, datetime] = dict(deactivations(journal_folder))
    if history is None:
        return known
    from stalecreds.history.store import History

    with History(history) as store:
        for key_id, when in store.inactive_since().items():
            known[key_id] = max(known.get(key_id, when), when)
    return known


def _caller(scan: ScanRequest) -> Caller:
    from stalecreds.aws.session import caller_identity, make_session

    return caller_identity(make_session(scan.single_profile, scan.region))
