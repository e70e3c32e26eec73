"""Turn a scan's findings into a remediation plan. Pure: no I/O, no clock.

A plan has one :class:`Step` per credential to act on, each with the evidence behind it and the
live state it expects to find when applied, and one :class:`Exclusion` per finding it will not
touch, with the reason. Never in a plan: the access key the run itself signs with, the root
user's credentials (except a member account's root credentials read through centralized root
access, with ``include_root``: :mod:`stalecreds.remediate.root_plan`), exempt users, verdicts
other than ``unused`` and ``never_used``, and keys whose ID is unknown.

Staged clean-up: an ``Inactive`` key that is still unused is planned for deletion once it has
been inactive for ``quarantine_days`` — known from an earlier apply's journal, else bounded from
below by its last use (or creation) in the scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from stalecreds.model import AccessKey, Caller, CredentialKind, Password, Status
from stalecreds.remediate.actions import Action
from stalecreds.rules.assessment import Assessment
from stalecreds.rules.exemptions import DEFAULT_TAG_KEY
from stalecreds.rules.verdicts import Thresholds, Verdict

DEFAULT_QUARANTINE_DAYS = 30
"""Days an unused key stays ``Inactive`` before the plan deletes it."""

PLANNABLE_VERDICTS = frozenset({Verdict.UNUSED, Verdict.NEVER_USED})


class PlanPolicy(NamedTuple):
    """What to do per kind: keys ``deactivate`` or ``delete``; passwords ``delete`` or ``reset``.

    ``quarantine_days``: days an Inactive key stays before it is deleted. ``exempt_tag``: the IAM
    user tag that exempted users when the plan was made; apply skips a user carrying it then.
    """

    key_action: str = "deactivate"
    password_action: str = "delete"
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS
    exempt_tag: str = DEFAULT_TAG_KEY
    include_root: bool = False
    """Plan the removal of member accounts' root credentials (``--include-root``)."""


class Evidence(NamedTuple):
    """Why a credential is in the plan, as the scan saw it."""

    verdict: Verdict
    reason: str
    created: datetime | None
    last_used: datetime | None
    last_used_region: str | None
    last_used_service: str | None


class Step(NamedTuple):
    """One remedy for one credential, with the state it expects at apply time.

    ``expect_status`` is the key status that must still hold (``None`` for passwords);
    ``unused_before`` is the window start: the live last use must still be before it.
    ``step_id`` is stable across runs of the same plan, so a resumed apply skips finished steps.
    ``credential_id`` is the ID of a root signing certificate or MFA device (its serial number)
    for the root actions; ``None`` otherwise.
    """

    step_id: str
    account_id: str
    user: str
    arn: str
    kind: CredentialKind
    slot: int | None
    access_key_id: str | None
    action: Action
    expect_status: Status | None
    unused_before: datetime
    evidence: Evidence
    credential_id: str | None = None


class Exclusion(NamedTuple):
    """A finding (or clean-up candidate) the plan will not touch, and why."""

    account_id: str
    user: str
    arn: str
    kind: CredentialKind
    slot: int | None
    access_key_id: str | None
    verdict: Verdict
    reason: str


class Plan(NamedTuple):
    """A remediation plan: when and for what it was made, its steps and its exclusions."""

    plan_id: str
    created: datetime
    account_id: str
    caller: Caller | None
    as_of: datetime
    thresholds: Thresholds
    policy: PlanPolicy
    steps: tuple[Step, ...]
    excluded: tuple[Exclusion, ...]


def _evidence(assessment: Assessment) -> Evidence:
    credential = assessment.credential
    region = service = None
    if isinstance(credential, AccessKey) and credential.last_use is not None:
        region, service = credential.last_use.region, credential.last_use.service
    return Evidence(
        assessment.verdict,
        assessment.reason,
        assessment.created,
        assessment.last_used,
        region,
        service,
    )


def build_plan(
    assessments: Iterable[Assessment],
    *,
    plan_id: str,
    created: datetime,
    as_of: datetime,
    thresholds: Thresholds,
    policy: PlanPolicy = PlanPolicy(),  # noqa: B008 - an immutable NamedTuple
    caller: Caller | None = None,
    deactivated_at: Mapping[str, datetime] | None = None,
) -> Plan:
    """Plan a remedy for every finding and clean-up candidate that may be acted on.

    ``as_of`` and ``thresholds`` are the scan's; the window starts they give become each step's
    ``unused_before``. ``deactivated_at`` maps access key IDs to when they are known to have
    stopped working (journals of earlier applies, or the history's first Inactive sighting); the
    quarantine counts from the latest of that and the key's last use. A user the report lists
    on more than one row (rows that may disagree) is never acted on. Raises ``ValueError`` for
    an unknown policy action.
    """
    if planned_action(CredentialKind.PASSWORD, None, policy) is None:
        raise ValueError(f"unknown password action {policy.password_action!r}")
    if planned_action(CredentialKind.ACCESS_KEY, Status.ACTIVE, policy) is None:
        raise ValueError(f"unknown key action {policy.key_action!r}")
    deactivated_at = deactivated_at or {}
    key_cutoff = as_of - timedelta(days=thresholds.access_key_days)
    password_cutoff = as_of - timedelta(days=thresholds.password_days)
    steps: list[Step] = []
    excluded: list[Exclusion] = []
    accounts: set[str] = set()
    assessments = list(assessments)
    rows: dict[str, set[int | None]] = {}
    for assessment in assessments:
        rows.setdefault(assessment.owner.arn, set()).add(assessment.owner.line)
    for assessment in assessments:
        if not (
            assessment.finding_rules
            or assessment.cleanup_candidate
            or assessment.verdict is Verdict.UNKNOWN
            or (assessment.exemption is not None and assessment.verdict in PLANNABLE_VERDICTS)
        ):
            continue
        accounts.add(assessment.owner.account_id)
        credential = assessment.credential
        reason = _exclusion_reason(assessment, caller, policy.include_root)
        lines = rows[assessment.owner.arn]
        if reason is None and len(lines) > 1:
            listed = ", ".join(str(line) for line in sorted(n for n in lines if n is not None))
            reason = f"the report lists this user on more than one row (lines {listed})"
        if reason is None and assessment.owner.is_root:  # only with include_root
            from stalecreds.remediate.root_plan import root_step

            root = root_step(assessment, key_cutoff, password_cutoff)
            if isinstance(root, str):
                excluded.append(_exclusion(assessment, root))
            else:
                steps.append(root)
            continue
        if reason is not None:
            excluded.append(_exclusion(assessment, reason))
            continue
        if isinstance(credential, Password):
            action = planned_action(CredentialKind.PASSWORD, None, policy)
            assert action is not None  # checked above
            steps.append(_step(assessment, action, None, None, None, password_cutoff))
            continue
        assert isinstance(credential, AccessKey)  # certificates are never findings
        key_id = credential.access_key_id or ""
        if credential.status is Status.ACTIVE:
            action = planned_action(CredentialKind.ACCESS_KEY, Status.ACTIVE, policy)
            assert action is not None  # checked above
        else:
            # The latest evidence of when the key stopped working: an apply's deactivation, the
            # first scan that saw it Inactive, or else its last use (or creation).
            bounds = [deactivated_at.get(key_id), assessment.last_used or assessment.created]
            since = max((b for b in bounds if b is not None), default=None)
            if since is None or created - since < timedelta(days=policy.quarantine_days):
                when = "an unknown time" if since is None else since.date().isoformat()
                reason = (
                    f"inactive and unused since {when}: deleted once it has been inactive "
                    f"for {policy.quarantine_days} days"
                )
                excluded.append(_exclusion(assessment, reason))
                continue
            action = Action.DELETE_ACCESS_KEY
        steps.append(
            _step(assessment, action, credential.slot, key_id, credential.status, key_cutoff)
        )
    # One account: its ID. Several: "" (each step names its own). None: the caller's, if known.
    if len(accounts) == 1:
        account = next(iter(accounts))
    elif accounts:
        account = ""
    else:
        account = caller.account_id if caller else ""
    return Plan(
        plan_id,
        created,
        account,
        caller,
        as_of,
        thresholds,
        policy,
        tuple(steps),
        tuple(excluded),
    )


def planned_action(
    kind: CredentialKind, status: Status | None, policy: PlanPolicy
) -> Action | None:
    """The remedy a plan with ``policy`` gives a credential of ``kind`` with key ``status``.

    Passwords (``status`` ``None``): delete or reset the login profile, per ``password_action``.
    Active keys: deactivate or delete, per ``key_action``. Inactive keys: delete (staged
    clean-up). ``None`` for a combination no plan holds (an unknown policy value, a key without
    a status, a password with one).
    """
    if kind is CredentialKind.PASSWORD:
        if status is not None:
            return None
        return _PASSWORD_ACTIONS.get(policy.password_action)
    if kind is not CredentialKind.ACCESS_KEY or status is None:
        return None
    if status is Status.INACTIVE:
        return Action.DELETE_ACCESS_KEY
    return _KEY_ACTIONS.get(policy.key_action)


_PASSWORD_ACTIONS = {"delete": Action.DELETE_LOGIN_PROFILE, "reset": Action.RESET_LOGIN_PROFILE}
_KEY_ACTIONS = {"deactivate": Action.DEACTIVATE_ACCESS_KEY, "delete": Action.DELETE_ACCESS_KEY}


def step_id_of(account_id: str, user: str, access_key_id: str | None, action: Action) -> str:
    """A step's ID: ``account/user/<access key ID or "password">/action``, stable across runs."""
    return f"{account_id}/{user}/{access_key_id or 'password'}/{action.value}"


def _exclusion(assessment: Assessment, reason: str) -> Exclusion:
    owner = assessment.owner
    credential = assessment.credential
    key = credential if isinstance(credential, AccessKey) else None
    return Exclusion(
        owner.account_id,
        owner.user,
        owner.arn,
        assessment.kind,
        None if key is None else key.slot,
        None if key is None else key.access_key_id,
        assessment.verdict,
        reason,
    )


def _step(
    assessment: Assessment,
    action: Action,
    slot: int | None,
    key_id: str | None,
    status: Status | None,
    cutoff: datetime,
) -> Step:
    owner = assessment.owner
    return Step(
        step_id_of(owner.account_id, owner.user, key_id, action),
        owner.account_id,
        owner.user,
        owner.arn,
        assessment.kind,
        slot,
        key_id,
        action,
        status,
        cutoff,
        _evidence(assessment),
    )


def _exclusion_reason(
    assessment: Assessment, caller: Caller | None, include_root: bool = False
) -> str | None:
    """Why this credential must not be acted on, or ``None`` when it may be."""
    owner = assessment.owner
    credential = assessment.credential
    if owner.is_root and owner.root_access:
        from stalecreds.remediate.root_plan import root_exclusion_reason

        return root_exclusion_reason(assessment, include_root)
    if owner.is_root:
        return (
            "root user credentials are never changed automatically: sign in as the root user "
            "and remove them (Security credentials page)"
        )
    if assessment.exemption is not None:
        return f"exempt: {assessment.exemption}"
    if assessment.verdict not in PLANNABLE_VERDICTS:
        return {
            Verdict.UNCERTAIN: "uncertain: a sign-in in IAM's 2018 recording gap would not show",
            Verdict.UNKNOWN: "unknown: its use could not be read from IAM",
        }.get(assessment.verdict, f"verdict {assessment.verdict.value}")
    if isinstance(credential, AccessKey):
        if credential.access_key_id is None:
            return "access key ID unknown (a credential report has none): scan the live account"
        if caller is not None and credential.access_key_id == caller.access_key_id:
            return "this is the access key the run itself signs with"
    return None
